-- A {daemon_name} no receive connector knows is a configuration error: 451 4.3.5 at MAIL (the MTAs
-- do not deliver connect-stage replies), never an acceptance. (The daemon port matches no `bind`
-- either: milter mode falls back to the daemon address and port.)
package.path = os.getenv("MW_MILTER_SCRIPTS") .. "/?.lua;" .. package.path
local c = require("common")
local conn = c.connect("no-such-service", "192.0.2.12", "9999")
c.expect(mt.helo(conn, "client.test"), conn, SMFIR_CONTINUE, "helo")
c.expect(mt.mailfrom(conn, "<a@elsewhere.example>"), conn, SMFIR_REPLYCODE, "mail")
mt.disconnect(conn)
