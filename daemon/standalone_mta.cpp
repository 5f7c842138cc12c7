#include "daemon/standalone_mta.hpp"

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <mutex>
#include <stdexcept>

#include "daemon/logger.hpp"
#include "policy/address.hpp"
#include "policy/loader.hpp"
#include "smtp/delivery/courier_setup.hpp"
#include "smtp/delivery/delivery_agent.hpp"
#include "smtp/delivery/etrn_client.hpp"
#include "smtp/delivery/smtp_courier.hpp"
#include "smtp/queue/queue.hpp"
#include "smtp/server/smtp_server.hpp"

namespace mw::daemon {

namespace fs = std::filesystem;

struct StandaloneMta::State {
    // The control socket's handlers (status, flush, reload) may run while stop() takes these apart.
    std::mutex mutex;
    std::unique_ptr<smtp::server::SmtpServer> server;
    std::unique_ptr<smtp::queue::Queue> queue;
    std::unique_ptr<smtp::delivery::DeliveryAgent> delivery;
    std::unique_ptr<smtp::delivery::EtrnRequester> etrn;  // send connectors' `etrn`; outlives `delivery`
    smtp::delivery::Couriers couriers;  // shared by RCPT (check_recipient) and delivery
    std::vector<std::string> listening;
};

namespace {

smtp::delivery::DeliveryConfig delivery_config(const DaemonConfig& config, const std::string& hostname) {
    smtp::delivery::DeliveryConfig delivery;
    delivery.maildir = config.delivery.maildir;
    delivery.lmtp = config.delivery.lmtp;
    delivery.queue_lifetime_s = static_cast<std::int64_t>(config.delivery.queue_lifetime_seconds);
    delivery.delay_warning_s = static_cast<std::int64_t>(config.delivery.delay_warning_seconds);
    delivery.hostname = hostname;
    delivery.workers = config.delivery.workers;
    for (auto s : config.delivery.retry_seconds) delivery.retry_intervals_s.push_back(static_cast<std::int64_t>(s));
    return delivery;
}

smtp::delivery::SmtpCourierConfig outbound_config(const DaemonConfig& config, const policy::Ruleset& rules) {
    smtp::delivery::SmtpCourierConfig out;
    out.helo_name = rules.organization.hostname.empty() ? "localhost" : rules.organization.hostname;
    out.dns = smtp::dns::resolver_config(config.dns);
    // Our STARTTLS identity is also the certificate partners see (Domain Security's mutual TLS).
    std::error_code ec;
    if (fs::exists(config.smtp.tls_cert, ec) && fs::exists(config.smtp.tls_key, ec)) {
        out.client_cert = config.smtp.tls_cert;
        out.client_key = config.smtp.tls_key;
    }
    out.connect_timeout = std::chrono::seconds(config.delivery.connect_timeout_seconds);
    out.command_timeout = std::chrono::seconds(config.delivery.timeout_seconds);
    out.recipient_limit = config.delivery.recipient_limit;
    out.concurrency = config.delivery.workers;  // a lane for every delivery worker
    out.max_connections = config.delivery.max_connections;
    out.max_connections_per_domain = config.delivery.max_connections_per_domain;
    out.max_messages_per_connection = config.delivery.max_messages_per_connection;
    out.passwords = smtp::delivery::read_smart_host_passwords(rules, [](const std::string& line) { log_warning(line); });
    return out;
}

}  // namespace

StandaloneMta::StandaloneMta(const DaemonConfig& config) : config_(config), state_(std::make_unique<State>()) {}

StandaloneMta::~StandaloneMta() { stop(); }

void StandaloneMta::open() {
    // The bindings come from the rules, which the daemon loads for real only after dropping
    // privileges. This read compiles lists into a fresh private directory (mkdtemp, mode 0700), never
    // into state_dir: the daemon's user owns that, and could plant links there for root to write through.
    std::string scratch_template = (fs::temp_directory_path() / "mailwarden-bind.XXXXXX").string();
    if (!::mkdtemp(scratch_template.data()))
        throw std::runtime_error("smtp: cannot create a scratch directory in " + fs::temp_directory_path().string());
    fs::path scratch = scratch_template;
    policy::LoadResult rules = policy::load_rules({config_.rules, scratch});
    std::error_code ec;
    fs::remove_all(scratch, ec);
    if (!rules.ok()) {
        std::string errors;
        for (const auto& d : rules.diagnostics) errors += "\n" + d.str();
        throw std::runtime_error("smtp: the rules do not load, so there is nothing to listen on:" + errors);
    }
    smtp::server::ServerHooks hooks;
    // The couriers delivery will use, made now so that RCPT can ask the local one, and while root:
    // the outbound courier reads the smart-host passwords and our client certificate's key.
    const std::string& hostname = rules.ruleset->organization.hostname;
    state_->couriers = smtp::delivery::make_couriers(delivery_config(config_, hostname));
    state_->couriers.outbound = std::make_shared<smtp::delivery::SmtpCourier>(
        outbound_config(config_, *rules.ruleset), [](const std::string& line) { log_info("delivery: " + line); });
    hooks.check_local_recipient = [local = state_->couriers.local](const Address& rcpt) -> std::optional<SmtpReply> {
        if (!local) return std::nullopt;
        auto refusal = local->check_recipient(rcpt);
        if (!refusal) return std::nullopt;
        return refusal->smtp_reply;
    };
    hooks.log = [](std::string_view line) { log_info(std::string("smtp: ") + std::string(line)); };
    state_->server = std::make_unique<smtp::server::SmtpServer>(std::move(hooks));
    smtp::server::ServerOptions options;
    options.tls_cert = config_.smtp.tls_cert;
    options.tls_key = config_.smtp.tls_key;
    options.users_file = config_.smtp.users_file;
    options.dns = smtp::dns::resolver_config(config_.dns);
    options.max_hops = config_.delivery.max_hops;
    state_->server->open(*rules.ruleset, options);
    state_->listening = state_->server->listening();
}

void StandaloneMta::start(RuleService& rules) {
    smtp::queue::QueueOptions queue_options;
    queue_options.log = [](const std::string& line) { log_warning("queue: " + line); };
    auto queue = smtp::queue::Queue::open(config_.state_dir, queue_options);
    if (!queue) throw std::runtime_error("queue: " + queue.error().origin + ": " + queue.error().detail);
    state_->queue = std::move(queue.value());

    const std::string hostname = rules.snapshot()->organization.hostname;
    smtp::delivery::EtrnClientConfig etrn;
    etrn.helo_name = hostname.empty() ? "localhost" : hostname;
    etrn.connect_timeout = std::chrono::seconds(config_.delivery.connect_timeout_seconds);
    etrn.command_timeout = std::chrono::seconds(config_.delivery.timeout_seconds);
    state_->etrn = std::make_unique<smtp::delivery::EtrnRequester>(
        [&rules] { return rules.snapshot(); }, etrn, [](const std::string& line) { log_info("delivery: " + line); });
    state_->etrn->start();

    smtp::delivery::DeliveryConfig delivery = delivery_config(config_, hostname);
    delivery.sent_through = [requester = state_->etrn.get()](const std::string& name) { requester->sent_through(name); };
    state_->delivery = std::make_unique<smtp::delivery::DeliveryAgent>(
        *state_->queue, [&rules] { return rules.snapshot(); }, delivery, state_->couriers,
        [](const std::string& line) { log_info("delivery: " + line); });
    state_->delivery->start();

    auto* agent = state_->delivery.get();
    state_->server->start(*state_->queue, [&rules] { return rules.snapshot(); }, [agent] { agent->wake(); },
                          [agent](const std::string& domain, bool subdomains) { return agent->flush_domain(domain, subdomains); });
}

void StandaloneMta::stop() {
    // Sessions get up to 30 s to finish: outside the lock, so `status` and `queue flush` still answer
    // meanwhile (only this thread ever takes the server apart, below).
    if (state_->server) state_->server->stop();
    std::lock_guard lock(state_->mutex);
    if (state_->delivery) state_->delivery->stop();
    // The queue's destructor finishes its last commit round; the server's sessions are gone by now.
    if (state_->etrn) state_->etrn->stop();
    state_->queue.reset();
    state_->delivery.reset();
    state_->etrn.reset();
    state_->server.reset();
}

void StandaloneMta::flush() {
    std::lock_guard lock(state_->mutex);
    if (!state_->delivery) return;
    state_->delivery->forget_failures();
    state_->delivery->wake();
}

bool StandaloneMta::flush_domain(const std::string& domain) {
    std::lock_guard lock(state_->mutex);
    if (!state_->delivery) return false;
    auto normalized = normalize_domain(domain);
    if (!normalized || normalized->empty()) {
        log_warning("queue: flush: not a domain: " + domain);
        return false;
    }
    auto started = state_->delivery->flush_domain(*normalized, false);
    if (!started) log_warning("queue: flush " + domain + ": " + started.error().origin + ": " + started.error().detail);
    return started.ok();
}

void StandaloneMta::rules_changed(const RuleService& rules) {
    std::lock_guard lock(state_->mutex);
    if (state_->server) state_->server->rules_changed(*rules.snapshot());
}

std::vector<std::pair<std::string, std::int64_t>> StandaloneMta::counters() const {
    std::vector<std::pair<std::string, std::int64_t>> out;
    std::lock_guard lock(state_->mutex);
    if (!state_->server) return out;
    const auto& c = state_->server->counters();
    out.emplace_back("smtp_sessions_active", static_cast<std::int64_t>(c.sessions_active.load()));
    out.emplace_back("smtp_sessions_total", static_cast<std::int64_t>(c.sessions_total.load()));
    out.emplace_back("smtp_messages_queued", static_cast<std::int64_t>(c.messages_queued.load()));
    out.emplace_back("smtp_messages_refused", static_cast<std::int64_t>(c.messages_refused.load()));
    out.emplace_back("smtp_connections_refused", static_cast<std::int64_t>(c.connections_refused.load()));
    if (state_->queue) {
        auto size = state_->queue->size();
        out.emplace_back("queue_size", size ? static_cast<std::int64_t>(size.value()) : -1);
    }
    return out;
}

std::string StandaloneMta::describe() const {
    std::string out = "smtp=";
    for (std::size_t i = 0; i < state_->listening.size(); ++i) out += (i ? "," : "") + state_->listening[i];
    return out;
}

}  // namespace mw::daemon
