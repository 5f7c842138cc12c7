#include "daemon/socketmap_service.hpp"

#include "daemon/logger.hpp"
#include "postfix/netstring.hpp"
#include "postfix/socketmap_protocol.hpp"
#include "daemon/stream_server.hpp"

namespace mw::daemon {

using namespace mw::postfix;

void serve_socketmap_connection(int fd, const RuleService& rules, SocketmapCounters& counters) {
    NetstringDecoder decoder;
    char buf[8192];
    for (;;) {
        long n = read_some(fd, buf, sizeof buf);
        if (n <= 0) return;
        decoder.feed(std::string_view(buf, static_cast<std::size_t>(n)));
        while (auto request = decoder.pop()) {
            counters.lookups++;
            auto snapshot = rules.snapshot();
            SocketmapExchange ex;
            if (decoder.last_was_oversize()) {
                ex.reply = "PERM request longer than " + std::to_string(socketmap_max_request) + " bytes";
                ex.map = "?";
            } else if (!snapshot) {
                ex.reply = "TEMP no rules loaded";
            } else {
                ex = answer_socketmap_request(*snapshot, *request);
            }
            if (ex.reply.rfind("TEMP", 0) == 0 || ex.reply.rfind("PERM", 0) == 0) {
                counters.errors++;
                log_warning("socketmap: " + ex.describe());
            } else {
                log_info("socketmap: " + ex.describe());
            }
            if (!write_all(fd, encode_netstring(ex.reply))) return;
        }
        if (decoder.failed()) {
            counters.errors++;
            log_warning("socketmap: malformed request: " + decoder.error() + "; answering PERM and closing");
            write_all(fd, encode_netstring("PERM " + decoder.error()));
            return;
        }
    }
}

}  // namespace mw::daemon
