#include "daemon/daemon_services.hpp"

#include <ctime>
#include <optional>
#include <vector>

#include "core/json_writer.hpp"
#include "daemon/logger.hpp"
#include "daemon/policy_listener.hpp"
#include "daemon/socketmap_service.hpp"

namespace mw::daemon {

using namespace mw::postfix;

struct DaemonServices::State {
    UniqueFd control_fd, socketmap_fd, policy_fd;
    std::unique_ptr<StreamServer> control, socketmap, policy;
    SocketmapCounters socketmap_counters;
    PolicyCounters policy_counters;
    CertHandoff handoff;
};

DaemonServices::DaemonServices(const DaemonConfig& config) : config_(config), state_(std::make_unique<State>()) {}

DaemonServices::~DaemonServices() { stop(); }

void DaemonServices::open_listeners(const SocketAccess& mta_sockets, const SocketAccess& control_socket) {
    if (config_.socketmap.active())
        state_->socketmap_fd = open_listener(parse_listen_address(config_.socketmap.listen), mta_sockets);
    if (config_.policy_service.active())
        state_->policy_fd = open_listener(parse_listen_address(config_.policy_service.listen), mta_sockets);
    if (config_.control.active())
        state_->control_fd = open_listener(parse_listen_address(config_.control.listen), control_socket);
}

void DaemonServices::start(RuleService& rules, ControlHandlers control) {
    if (state_->socketmap_fd) {
        state_->socketmap = std::make_unique<StreamServer>(
            "socketmap", std::move(state_->socketmap_fd), [this, &rules](int fd) {
                serve_socketmap_connection(fd, rules, state_->socketmap_counters);
            });
        state_->socketmap->start();
    }
    if (state_->policy_fd) {
        state_->policy = std::make_unique<StreamServer>("policy service", std::move(state_->policy_fd), [this, &rules](int fd) {
            serve_policy_connection(fd, rules, state_->handoff, state_->policy_counters);
        });
        state_->policy->start();
    }
    if (state_->control_fd) {
        state_->control = std::make_unique<StreamServer>(
            "control", std::move(state_->control_fd),
            [control = std::move(control)](int fd) { serve_control_connection(fd, control); });
        state_->control->start();
    }
}

void DaemonServices::stop() {
    if (state_->control) state_->control->stop();
    if (state_->socketmap) state_->socketmap->stop();
    if (state_->policy) state_->policy->stop();
}

void DaemonServices::enrich_at_rcpt(const milter::ConnectionKey& key, policy::SessionFacts& facts) {
    auto k = make_connection_key(key.client_address, key.client_port, key.server_address, key.server_port);
    if (!k) return;  // the milter lacks a connection value: nothing is added, a pin fails closed
    if (auto h = state_->handoff.find(*k, std::chrono::steady_clock::now())) apply_handoff(facts, *h);
}

void DaemonServices::forget_connection(const milter::ConnectionKey& key) {
    if (auto k = make_connection_key(key.client_address, key.client_port, key.server_address, key.server_port))
        state_->handoff.forget(*k);
}

std::string DaemonServices::describe() const {
    auto part = [](const char* name, const ListenerConfig& l) {
        return std::string(name) + "=" + (l.active() ? l.listen : "off");
    };
    return part("socketmap", config_.socketmap) + " " + part("policy", config_.policy_service) + " " +
           part("control", config_.control);
}

std::string DaemonServices::status_report(const RuleService& rules, const milter::MilterCounters& m, bool milter_on,
                                          const std::vector<std::pair<std::string, std::int64_t>>& standalone,
                                          bool json) const {
    std::time_t loaded = std::chrono::system_clock::to_time_t(rules.loaded_at());
    std::tm tm{};
    ::gmtime_r(&loaded, &tm);
    char when[32];
    std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    std::vector<std::pair<std::string, std::int64_t>> counters = {
        {"milter_sessions_active", m.sessions_active.load()},
        {"milter_sessions_total", static_cast<std::int64_t>(m.sessions_total.load())},
        {"mail_accepted", static_cast<std::int64_t>(m.mail_accepted.load())},
        {"mail_refused", static_cast<std::int64_t>(m.mail_refused.load())},
        {"rcpt_accepted", static_cast<std::int64_t>(m.rcpt_accepted.load())},
        {"rcpt_refused", static_cast<std::int64_t>(m.rcpt_refused.load())},
        {"messages_accepted", static_cast<std::int64_t>(m.messages_accepted.load())},
        {"messages_refused", static_cast<std::int64_t>(m.messages_refused.load())},
        {"messages_discarded", static_cast<std::int64_t>(m.messages_discarded.load())},
        {"messages_quarantined", static_cast<std::int64_t>(m.messages_quarantined.load())},
        {"internal_errors", static_cast<std::int64_t>(m.internal_errors.load())},
        {"socketmap_lookups", static_cast<std::int64_t>(state_->socketmap_counters.lookups.load())},
        {"socketmap_errors", static_cast<std::int64_t>(state_->socketmap_counters.errors.load())},
        {"policy_requests", static_cast<std::int64_t>(state_->policy_counters.requests.load())},
        {"policy_granted", static_cast<std::int64_t>(state_->policy_counters.granted.load())},
        {"policy_errors", static_cast<std::int64_t>(state_->policy_counters.errors.load())},
        {"reloads_failed", static_cast<std::int64_t>(rules.reloads_failed())},
    };
    std::optional<std::int64_t> queue_size;
    for (const auto& [name, value] : standalone) {
        if (name == "queue_size") queue_size = value;
        else counters.emplace_back(name, value);
    }
    if (json) {
        JsonWriter w;
        w.begin_object();
        w.key("generation").value(static_cast<std::int64_t>(rules.generation()));
        w.key("loaded_at").value(when);
        w.key("rules").value(rules.rules_dir().string());
        w.key("milter").value(milter_on);
        for (const auto& [name, value] : counters) w.key(name).value(value);
        if (queue_size) w.key("queue").value(*queue_size);
        else w.key("queue").null();
        w.end_object();
        return w.str() + "\n";
    }
    std::string out = "generation " + std::to_string(rules.generation()) + "\n";
    out += "loaded_at " + std::string(when) + "\n";
    out += "rules " + rules.rules_dir().string() + "\n";
    out += std::string("milter ") + (milter_on ? config_.milter.listen : "off") + "\n";
    for (const auto& [name, value] : counters) out += name + " " + std::to_string(value) + "\n";
    if (queue_size) out += "queue " + std::to_string(*queue_size) + "\n";
    else out += "queue none (the standalone queue is not enabled)\n";
    return out;
}

}  // namespace mw::daemon
