-- Shared helpers for the miltertest scripts: connect to the mailwarden milter named by
-- MW_MILTER_SOCKET and play a session as Postfix 3.7 would (macros it sends when asked).
local M = {}

function M.connect(daemon_name, client_ip, daemon_port)
    local sock = os.getenv("MW_MILTER_SOCKET")
    local conn = mt.connect(sock, 20, 0.25)
    if conn == nil then error("cannot connect to " .. tostring(sock)) end
    mt.macro(conn, SMFIC_CONNECT, "j", "mx.example.com", "v", "Postfix 3.7.11", "_", "client [" .. client_ip .. "]",
             "{daemon_name}", daemon_name, "{daemon_addr}", "127.0.0.1", "{daemon_port}", daemon_port or "2525",
             "{client_addr}", client_ip, "{client_port}", "40000", "{client_name}", "client.test")
    M.expect(mt.conninfo(conn, "client.test", client_ip), conn, SMFIR_CONTINUE, "connect")
    return conn
end

function M.expect(err, conn, reply, what)
    if err ~= nil then error(what .. ": " .. err) end
    local got = mt.getreply(conn)
    if got ~= reply then error(what .. ": expected reply " .. tostring(reply) .. ", got " .. tostring(got)) end
end

-- The last reply must be this exact SMTP code, enhanced status and text.
function M.expect_smtp(conn, code, status, text, what)
    if not mt.eom_check(conn, MT_SMTPREPLY, code, status, text) then
        error(what .. ": expected '" .. code .. " " .. status .. " " .. text .. "'")
    end
end

return M
