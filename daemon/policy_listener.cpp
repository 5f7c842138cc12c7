#include "daemon/policy_listener.hpp"

#include "daemon/logger.hpp"
#include "postfix/policy_protocol.hpp"
#include "postfix/policy_service.hpp"
#include "daemon/stream_server.hpp"

namespace mw::daemon {

using namespace mw::postfix;

void serve_policy_connection(int fd, const RuleService& rules, postfix::CertHandoff& handoff, PolicyCounters& counters) {
    PolicyRequestReader reader;
    char buf[8192];
    for (;;) {
        long n = read_some(fd, buf, sizeof buf);
        if (n <= 0) return;
        bool ok = reader.feed(std::string_view(buf, static_cast<std::size_t>(n)));
        while (auto request = reader.pop()) {
            counters.requests++;
            auto snapshot = rules.snapshot();
            PolicyDecision d;
            if (!snapshot) {
                d.action = "451 4.3.0 Temporary policy failure";
                d.log_line = "warning: policy: no rules loaded: 451 4.3.0";
            } else {
                d = answer_policy_request(*snapshot, *request, handoff, std::chrono::steady_clock::now());
            }
            if (d.action == "OK") counters.granted++;
            log_info("policy: " + d.log_line);
            if (!write_all(fd, format_policy_reply(d.action))) return;
        }
        if (!ok || reader.failed()) {
            counters.errors++;
            log_warning("policy service: malformed request: " + reader.error() + "; closing the connection");
            return;
        }
    }
}

}  // namespace mw::daemon
