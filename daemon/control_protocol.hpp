// The control socket (`mailwarden reload`, `mailwarden status`): one command line per connection,
// answered and closed.
//   reload        -> "ok GENERATION\n" or "error GENERATION\n" then one diagnostic per line
//   status        -> "key value" lines
//   status json   -> one JSON object
//   flush         -> "ok\n", or "error no standalone queue\n"
#pragma once

#include <functional>
#include <string>

#include "core/daemon_config.hpp"
#include "daemon/rule_service.hpp"

namespace mw::daemon {

struct ControlHandlers {
    std::function<ReloadOutcome()> reload;
    std::function<std::string(bool json)> status;
    std::function<bool()> flush;  // standalone queue: deliver now; false when there is no queue
    // `flush DOMAIN`: that domain's mail now, held mail included (README "ETRN").
    std::function<bool(const std::string& domain)> flush_domain;
};

// Serves one control connection (StreamServer handler).
void serve_control_connection(int fd, const ControlHandlers& handlers);

// Client side: sends one command and returns the whole answer. Throws std::runtime_error when the
// daemon cannot be reached.
std::string control_request(const ListenAddress& address, const std::string& command);

}  // namespace mw::daemon
