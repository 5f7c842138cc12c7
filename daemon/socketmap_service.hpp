// The socketmap listener's connection handler: netstring requests in, one answer each, from the
// rules snapshot current at each request (a lookup is not a session: it always sees the newest
// rules).
#pragma once

#include <atomic>
#include <cstdint>

#include "daemon/rule_service.hpp"

namespace mw::daemon {

struct SocketmapCounters {
    std::atomic<std::uint64_t> lookups{0};
    std::atomic<std::uint64_t> errors{0};  // PERM/TEMP answers
};

// Serves one connection until the peer closes. An oversize request, or a well-formed frame
// carrying a bad request, gets PERM and the connection stays open; a broken netstring frame is
// answered with PERM and the connection closed (there is no safe point to resynchronize; Postfix
// reconnects).
void serve_socketmap_connection(int fd, const RuleService& rules, SocketmapCounters& counters);

}  // namespace mw::daemon
