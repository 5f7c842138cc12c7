// Standalone mode (`[smtp] enabled = true`): the ESMTP server, the durable queue and local delivery,
// owned together so `serve` can start and stop them in the right order around the privilege drop.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/daemon_config.hpp"
#include "daemon/rule_service.hpp"

namespace mw::daemon {

class StandaloneMta {
public:
    explicit StandaloneMta(const DaemonConfig& config);
    ~StandaloneMta();

    // As root when started so: reads the TLS key and the users file and binds every receive
    // connector's `bind` endpoint. The rules are read here only for their bindings (into a scratch
    // state directory, so no compiled list is left owned by root). Throws std::runtime_error.
    void open();
    // As the daemon's user: opens the queue (recovery after a crash happens here), starts delivery
    // and the sessions. Throws std::runtime_error.
    void start(RuleService& rules);
    // Stops accepting and ends sessions (421 4.3.2, each after its command in progress), then stops
    // delivery and closes the queue.
    void stop();

    // `mailwarden queue flush`: deliver now what waits.
    void flush();
    // `mailwarden queue flush DOMAIN`: that domain's mail now, held mail included (README "ETRN");
    // false when it could not be scheduled (logged).
    bool flush_domain(const std::string& domain);
    // A reload happened: bindings the new rules add need a restart.
    void rules_changed(const RuleService& rules);
    std::vector<std::pair<std::string, std::int64_t>> counters() const;
    std::string describe() const;  // "smtp=127.0.0.1:2525,..."

private:
    struct State;
    const DaemonConfig& config_;
    std::unique_ptr<State> state_;
};

}  // namespace mw::daemon
