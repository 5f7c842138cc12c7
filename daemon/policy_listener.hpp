// The policy-service listener's connection handler: Postfix's smtpd keeps one connection per
// process and sends one attribute request per RCPT; each gets "action=OK" or "action=DUNNO".
#pragma once

#include <atomic>
#include <cstdint>

#include "postfix/cert_handoff.hpp"
#include "daemon/rule_service.hpp"

namespace mw::daemon {

struct PolicyCounters {
    std::atomic<std::uint64_t> requests{0};
    std::atomic<std::uint64_t> granted{0};  // action=OK
    std::atomic<std::uint64_t> errors{0};   // malformed input (connection closed)
};

// Serves one connection until the peer closes. A malformed or oversize request is logged and the
// connection closed: Postfix then applies smtpd_policy_service_default_action (451 4.3.5) and
// reconnects, so nothing is relayed on a broken exchange.
void serve_policy_connection(int fd, const RuleService& rules, postfix::CertHandoff& handoff, PolicyCounters& counters);

}  // namespace mw::daemon
