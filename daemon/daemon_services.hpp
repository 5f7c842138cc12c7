// The daemon's own stream services (socketmap, policy service, control socket) and what they
// share with the milter (the Direct Trust hand-off), owned together so `serve` reads as a recipe.
#pragma once

#include <memory>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/daemon_config.hpp"
#include "daemon/control_protocol.hpp"
#include "daemon/rule_service.hpp"
#include "daemon/socket_listener.hpp"
#include "daemon/stream_server.hpp"
#include "milter/milter_service.hpp"

namespace mw::daemon {

class DaemonServices {
public:
    explicit DaemonServices(const DaemonConfig& config);
    ~DaemonServices();

    // Binds every enabled listener (before privileges are dropped). Throws std::runtime_error.
    void open_listeners(const SocketAccess& mta_sockets, const SocketAccess& control_socket);
    void start(RuleService& rules, ControlHandlers control);
    void stop();

    // Milter, Postfix mode, at RCPT: the fingerprint the policy service saw for this connection.
    void enrich_at_rcpt(const milter::ConnectionKey& key, policy::SessionFacts& facts);
    // The milter session ended: its hand-off entry is no longer needed.
    void forget_connection(const milter::ConnectionKey& key);

    // `standalone`: the standalone MTA's counters (with "queue_size"), empty when it is off.
    std::string status_report(const RuleService& rules, const milter::MilterCounters& milter, bool milter_on,
                              const std::vector<std::pair<std::string, std::int64_t>>& standalone, bool json) const;
    std::string describe() const;  // "socketmap=... policy=... control=..." for the start-up line

private:
    struct State;
    const DaemonConfig& config_;
    std::unique_ptr<State> state_;
};

}  // namespace mw::daemon
