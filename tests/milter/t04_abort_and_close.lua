-- Protocol edges: a transaction aborted after RCPT leaves the session usable; a second
-- transaction is judged afresh; a connection closed before any event and one dropped abruptly
-- mid-transaction do not disturb later sessions.
package.path = os.getenv("MW_MILTER_SCRIPTS") .. "/?.lua;" .. package.path
local c = require("common")
local sock = os.getenv("MW_MILTER_SOCKET")
local bare = mt.connect(sock, 20, 0.25)
if bare == nil then error("connect") end
mt.disconnect(bare)

local conn = c.connect("internet", "192.0.2.13")
c.expect(mt.helo(conn, "client.test"), conn, SMFIR_CONTINUE, "helo")
c.expect(mt.mailfrom(conn, "<x@elsewhere.example>"), conn, SMFIR_CONTINUE, "mail 1")
c.expect(mt.rcptto(conn, "<bob@example.com>"), conn, SMFIR_CONTINUE, "rcpt 1")
if mt.abort(conn) ~= nil then error("abort") end
c.expect(mt.mailfrom(conn, "<ceo@example.com>"), conn, SMFIR_REPLYCODE, "mail 2 (spoof of our domain)")
mt.disconnect(conn, false)

local again = c.connect("internet", "192.0.2.14")
c.expect(mt.helo(again, "client.test"), again, SMFIR_CONTINUE, "helo")
c.expect(mt.mailfrom(again, "<x@elsewhere.example>"), again, SMFIR_CONTINUE, "mail after abrupt close")
mt.disconnect(again)
