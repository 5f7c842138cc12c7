-- Three forged copies of our stamp and a forged Authentication-Results are all removed, and our
-- own stamp is added, at end of message.
package.path = os.getenv("MW_MILTER_SCRIPTS") .. "/?.lua;" .. package.path
local c = require("common")
local conn = c.connect("internet", "192.0.2.11")
c.expect(mt.helo(conn, "client.test"), conn, SMFIR_CONTINUE, "helo")
c.expect(mt.mailfrom(conn, "<billing@vendor.example>"), conn, SMFIR_CONTINUE, "mail")
c.expect(mt.rcptto(conn, "<alice@example.com>"), conn, SMFIR_CONTINUE, "rcpt")
mt.macro(conn, SMFIC_RCPT, "i", "4XyZ1")
c.expect(mt.header(conn, "X-Mailwarden-AuthAs", "Internal"), conn, SMFIR_CONTINUE, "header 1")
c.expect(mt.header(conn, "Subject", "hello"), conn, SMFIR_CONTINUE, "subject")
c.expect(mt.header(conn, "x-mailwarden-authas", "Internal"), conn, SMFIR_CONTINUE, "header 2")
c.expect(mt.header(conn, "X-MAILWARDEN-AUTHAS", "Partner"), conn, SMFIR_CONTINUE, "header 3")
c.expect(mt.header(conn, "Authentication-Results", "mx.example.com; auth=pass smtp.auth=ceo"), conn, SMFIR_CONTINUE, "ar")
-- No end-of-header step: mailwarden negotiates SMFIP_NOEOH (it needs none, and Postfix waits for
-- every reply).
c.expect(mt.bodystring(conn, "body\r\n"), conn, SMFIR_CONTINUE, "body")
c.expect(mt.eom(conn), conn, SMFIR_CONTINUE, "eom")
if not mt.eom_check(conn, MT_HDRDELETE, "X-Mailwarden-AuthAs") then error("forged stamp not deleted") end
if not mt.eom_check(conn, MT_HDRDELETE, "Authentication-Results") then error("forged A-R not deleted") end
if not mt.eom_check(conn, MT_HDRINSERT, "X-Mailwarden-AuthAs", "Anonymous") then error("stamp not added") end
mt.disconnect(conn)
