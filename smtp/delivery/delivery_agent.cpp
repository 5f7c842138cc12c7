#include "smtp/delivery/delivery_agent.hpp"

#include <chrono>
#include <condition_variable>
#include <ctime>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "frontdoor/decision_log.hpp"
#include "policy/address.hpp"
#include "smtp/delivery/courier_setup.hpp"
#include "smtp/delivery/delivery_schedule.hpp"
#include "smtp/delivery/dsn_message.hpp"

namespace mw::smtp::delivery {

namespace {

using queue::RecipientState;
using Kind = DeliveryOutcome::Kind;

const DeliveryOutcome remote_pending =
    DeliveryOutcome::temporary("4.4.0", "queued: outbound delivery is not available in this version");

// How long the agent waits for the queue to make a notification durable before giving up on this
// pass (the recipients then stay pending and the notification is built again next time).
constexpr auto submit_wait = std::chrono::seconds(60);
// A message the queue could not read or update is left alone this long (never dropped).
constexpr std::int64_t queue_error_backoff_s = 60;

// What one pass decided for one recipient.
struct Decision {
    std::size_t index = 0;
    DeliveryOutcome outcome;
    std::string relay;
    bool remote_reply = false;  // the outcome is a server's reply: the log shows all of it
    bool waiting = false;       // no courier for its route: waits, and the attempt does not count
    bool expired = false;
};

}  // namespace

struct DeliveryAgent::State {
    queue::Queue& queue;
    RulesSnapshot rules;
    DeliveryConfig config;
    LogFunction log;
    Couriers couriers;

    std::mutex mutex;
    std::condition_variable cv;
    bool stopping = false;
    bool woken = false;
    std::thread worker;
    std::map<std::string, std::int64_t> not_before;  // worker thread only: queue errors

    State(queue::Queue& q, RulesSnapshot r, DeliveryConfig c, Couriers k, LogFunction l)
        : queue(q), rules(std::move(r)), config(std::move(c)), log(std::move(l)), couriers(std::move(k)) {
        if (!log) log = [](const std::string&) {};
    }

    std::int64_t now() const { return config.clock ? config.clock() : static_cast<std::int64_t>(std::time(nullptr)); }
    bool stop_requested() {
        std::lock_guard lock(mutex);
        return stopping;
    }

    void run();
    bool pass();  // true: a full batch was processed, more may be due
    void process(const queue::MessageInfo& message);
    std::vector<Decision> deliver(const queue::MessageInfo& message, const policy::Ruleset& rules,
                                  const std::string& body);
    bool notify(const queue::MessageInfo& message, DsnKind kind, const std::vector<DsnRecipient>& recipients,
                const std::string& body, std::int64_t now);
    void log_decision(const queue::MessageInfo& message, const queue::Recipient& r, const Decision& d,
                      const char* status, std::int64_t now);
};

void DeliveryAgent::State::run() {
    for (;;) {
        bool more = false;
        try {
            more = pass();
        } catch (const std::exception& e) {
            // A bug or resource exhaustion in one pass must not end local delivery for good.
            log(std::string("warning: delivery pass failed: ") + e.what());
        }
        std::unique_lock lock(mutex);
        // A full batch means more mail may be due already: go on at once, without waiting for a wake-up.
        if (!more)
            cv.wait_for(lock, std::chrono::milliseconds(config.poll_interval_ms), [&] { return stopping || woken; });
        if (stopping) return;
        woken = false;
    }
}

bool DeliveryAgent::State::pass() {
    const std::int64_t start = now();
    std::erase_if(not_before, [&](const auto& entry) { return entry.second <= start; });
    auto due = queue.due(start, config.batch + not_before.size());
    if (!due) {
        log("warning: queue: cannot list due messages: " + due.error().origin + ": " + due.error().detail);
        return false;
    }
    std::size_t processed = 0;
    for (const auto& message : *due) {
        if (stop_requested()) return false;
        if (not_before.contains(message.id)) continue;
        process(message);
        ++processed;
    }
    return processed >= config.batch;
}

std::vector<Decision> DeliveryAgent::State::deliver(const queue::MessageInfo& message, const policy::Ruleset& rules,
                                                    const std::string& body) {
    const auto& envelope = message.envelope;
    std::vector<Decision> decisions, waiting;
    // Per route, the recipients its courier gets in one call: an LMTP server stores the message
    // once per mailbox and answers per recipient (RFC 2033).
    struct Batch {
        std::vector<std::size_t> indices;
        std::vector<CourierRecipient> recipients;
    };
    std::map<RecipientRoute, Batch> batches;
    for (std::size_t i = 0; i < envelope.recipients.size(); ++i) {
        if (envelope.recipients[i].state != RecipientState::pending) continue;
        auto parsed = parse_address(envelope.recipients[i].address);
        if (!parsed.address) {
            decisions.push_back({i, DeliveryOutcome::permanent("5.1.3", "bad recipient address syntax", parsed.error),
                                 "none"});
            continue;
        }
        const RecipientRoute route = route_of(rules, *parsed.address);
        const Courier* courier = couriers.for_route(route);
        if (!courier) {
            waiting.push_back({i, remote_pending, "none", false, true});
        } else if (auto refused = courier->check_recipient(*parsed.address)) {
            // The server refuses such recipients at RCPT; one queued before a rules change lands here.
            decisions.push_back({i, std::move(*refused), courier->relay_name(), courier->remote_replies()});
        } else {
            batches[route].indices.push_back(i);
            batches[route].recipients.push_back({envelope.recipients[i].address, std::move(*parsed.address),
                                                 envelope.recipients[i].notify, envelope.recipients[i].orcpt});
        }
    }
    const CourierMessage m{message.id, envelope.sender, envelope.body_8bit, envelope.smtputf8, body,
                           envelope.dsn_ret, envelope.dsn_envid, &rules};
    for (auto& [route, batch] : batches) {
        Courier& courier = *couriers.for_route(route);
        auto outcomes = courier.deliver(m, batch.recipients);
        for (std::size_t k = 0; k < batch.indices.size(); ++k) {
            // A courier answers for every recipient; should one not, the rest is retried, never lost.
            DeliveryOutcome outcome =
                k < outcomes.size() ? std::move(outcomes[k])
                                    : DeliveryOutcome::temporary("4.3.0", "mail system error", "no outcome from courier");
            std::string relay = outcome.relay.empty() ? courier.relay_name() : outcome.relay;
            decisions.push_back({batch.indices[k], std::move(outcome), std::move(relay), courier.remote_replies()});
        }
    }
    // Waiting recipients last: their log lines follow those of the deliveries.
    for (auto& d : waiting) decisions.push_back(std::move(d));
    return decisions;
}

void DeliveryAgent::State::log_decision(const queue::MessageInfo& message, const queue::Recipient& r,
                                        const Decision& d, const char* status, std::int64_t now) {
    std::string text = d.remote_reply ? d.outcome.reply() : d.outcome.smtp_reply.text;
    if (d.outcome.kind != Kind::ok && !d.outcome.detail.empty()) text += ": " + d.outcome.detail;
    if (d.expired) text = "message expired after " + std::to_string(now - message.envelope.arrival) + "s; " + text;
    // The one mail log (frontdoor/decision_log.hpp), in Postfix's delivery shape.
    log(frontdoor::format(frontdoor::Delivery{message.id, r.address, d.relay, now - message.envelope.arrival,
                                              d.expired ? "4.4.7" : d.outcome.smtp_reply.status, status,
                                              std::move(text)}));
}

bool DeliveryAgent::State::notify(const queue::MessageInfo& message, DsnKind kind,
                                  const std::vector<DsnRecipient>& recipients, const std::string& body,
                                  std::int64_t now) {
    DsnRequest request{kind, config.hostname, message.id, recipients, now,
                       message.envelope.arrival + config.queue_lifetime_s};
    DsnMessage dsn = build_dsn(request, message.envelope, body);
    const std::string id = queue.new_id();
    auto promise = std::make_shared<std::promise<Result<queue::SubmitOk>>>();
    auto future = promise->get_future();
    queue.submit(id, std::move(dsn.envelope), std::move(dsn.body),
                 [promise](Result<queue::SubmitOk> r) { promise->set_value(std::move(r)); });
    // Wait until the notification is durable before the recipients it reports are marked done: a
    // crash in between sends it twice at worst, never not at all.
    const auto deadline = std::chrono::steady_clock::now() + submit_wait;
    while (future.wait_for(std::chrono::milliseconds(100)) != std::future_status::ready) {
        if (stop_requested() || std::chrono::steady_clock::now() > deadline) {
            log("warning: " + message.id + ": notification " + id + " not confirmed by the queue; will retry");
            return false;
        }
    }
    auto result = future.get();
    if (!result) {
        log("warning: " + message.id + ": cannot queue notification: " + result.error().origin + ": " +
            result.error().detail + "; will retry");
        return false;
    }
    static constexpr const char* what[] = {"sender non-delivery notification", "sender delay notification",
                                           "sender delivery status notification"};
    log(message.id + ": " + what[static_cast<int>(kind)] + ": " + result->id);
    return true;
}

void DeliveryAgent::State::process(const queue::MessageInfo& message) {
    const std::int64_t t = now();
    auto defer = [&](const char* what, const Error& e) {
        log("warning: " + message.id + ": " + what + ": " + e.origin + ": " + e.detail + "; will retry");
        not_before[message.id] = t + queue_error_backoff_s;
    };
    auto body = queue.read_body(message.id);
    if (!body) return defer("cannot read message", body.error());
    auto rules_snapshot = rules ? rules() : nullptr;
    if (!rules_snapshot) return defer("no rules", Error{Error::Kind::temporary, "rules", "no rule set loaded"});

    const auto& envelope = message.envelope;
    std::vector<queue::Recipient> recipients = envelope.recipients;
    std::vector<Decision> decisions = deliver(message, *rules_snapshot, *body);

    const bool is_expired = expired(config, envelope, t);
    std::vector<DsnRecipient> failed, succeeded;
    std::vector<std::size_t> failed_indices;
    std::int64_t wanted = t + config.remote_retry_s;
    for (auto& d : decisions) {
        queue::Recipient& r = recipients[d.index];
        r.last_reply = d.outcome.reply();
        if (!d.waiting) ++r.attempts;
        if (d.outcome.kind == Kind::ok) {
            r.state = RecipientState::delivered;
            log_decision(message, r, d, "sent", t);
            // A server that offered DSN took the request with the message and reports itself.
            if (wants_success_notice(envelope, r) && !d.outcome.dsn_passed_on)
                succeeded.push_back({r.address, r.orcpt, d.outcome.smtp_reply.status, d.outcome.reply(),
                                     d.outcome.remote_mta, d.outcome.relayed});
            continue;
        }
        if (d.outcome.kind == Kind::temporary && !is_expired) {
            log_decision(message, r, d, "deferred", t);
            if (!d.waiting) wanted = std::min(wanted, t + retry_delay(config, r.attempts));
            continue;
        }
        // Permanent, or temporary for longer than queue_lifetime (RFC 3463 4.4.7).
        d.expired = d.outcome.kind == Kind::temporary;
        r.state = RecipientState::failed;
        log_decision(message, r, d, "bounced", t);
        if (wants_failure_notice(envelope, r)) {
            const std::string& status = d.expired ? std::string("4.4.7") : d.outcome.smtp_reply.status;
            failed.push_back({r.address, r.orcpt, status, d.outcome.reply(), d.outcome.remote_mta, false});
            failed_indices.push_back(d.index);
        }
    }

    if (!failed.empty() && !notify(message, DsnKind::failure, failed, *body, t)) {
        // The bounce is not durable: these recipients stay pending and are decided again later.
        for (std::size_t i : failed_indices) recipients[i].state = RecipientState::pending;
        wanted = std::min(wanted, t + std::max<std::int64_t>(config.retry_initial_s, 1));
    }
    if (!succeeded.empty()) notify(message, DsnKind::success, succeeded, *body, t);  // best effort (RFC 3461)

    bool delay_warned = message.delay_warned;
    bool any_pending = false;
    if (std::int64_t warn_at = delay_warning_time(config, message); warn_at > 0 && t >= warn_at) {
        std::vector<DsnRecipient> delayed;
        for (const auto& r : recipients) {
            if (r.state == RecipientState::pending && wants_delay_notice(envelope, r)) {
                auto status = r.last_reply.size() > 4 ? r.last_reply.substr(4, r.last_reply.find(' ', 4) - 4) : "4.0.0";
                delayed.push_back({r.address, r.orcpt, status, r.last_reply, {}, false});
            }
        }
        delay_warned = delayed.empty() || notify(message, DsnKind::delay, delayed, *body, t);
    }
    for (const auto& r : recipients) any_pending |= r.state == RecipientState::pending;

    const std::int64_t next = any_pending ? next_attempt(config, message, delay_warned, t, wanted) : 0;
    auto updated = queue.update(message.id, recipients, next, delay_warned);
    if (!updated) return defer("cannot update queue", updated.error());
    if (!any_pending) log(message.id + ": removed");
}

DeliveryAgent::DeliveryAgent(queue::Queue& queue, RulesSnapshot rules, DeliveryConfig config, Couriers couriers,
                             LogFunction log)
    : state_(std::make_unique<State>(queue, std::move(rules), std::move(config), std::move(couriers), std::move(log))) {}

DeliveryAgent::DeliveryAgent(queue::Queue& queue, RulesSnapshot rules, DeliveryConfig config, LogFunction log)
    : DeliveryAgent(queue, std::move(rules), config, make_couriers(config), std::move(log)) {}

DeliveryAgent::~DeliveryAgent() { stop(); }

void DeliveryAgent::start() {
    if (state_->worker.joinable()) return;
    {
        std::lock_guard lock(state_->mutex);
        state_->stopping = false;
    }
    state_->worker = std::thread([s = state_.get()] { s->run(); });
}

void DeliveryAgent::stop() {
    {
        std::lock_guard lock(state_->mutex);
        state_->stopping = true;
    }
    state_->cv.notify_all();
    if (state_->worker.joinable()) state_->worker.join();
}

void DeliveryAgent::wake() {
    {
        std::lock_guard lock(state_->mutex);
        state_->woken = true;
    }
    state_->cv.notify_all();
}

}  // namespace mw::smtp::delivery
