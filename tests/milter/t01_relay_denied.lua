-- An anonymous Internet client relays to an outside domain: 554 5.7.1 at RCPT, the exact text
-- (with a percent-hack address kept intact), while a local recipient is accepted.
package.path = os.getenv("MW_MILTER_SCRIPTS") .. "/?.lua;" .. package.path
local c = require("common")
local conn = c.connect("internet", "192.0.2.10")
c.expect(mt.helo(conn, "client.test"), conn, SMFIR_CONTINUE, "helo")
c.expect(mt.mailfrom(conn, "<someone@elsewhere.example>"), conn, SMFIR_CONTINUE, "mail")
c.expect(mt.rcptto(conn, "<victim@other.example>"), conn, SMFIR_REPLYCODE, "rcpt outside")
c.expect(mt.rcptto(conn, "<user%victim@example.com>"), conn, SMFIR_REPLYCODE, "rcpt percent hack")
c.expect(mt.rcptto(conn, "<bob@example.com>"), conn, SMFIR_CONTINUE, "rcpt local")
mt.disconnect(conn)
