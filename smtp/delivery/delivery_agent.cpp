#include "smtp/delivery/delivery_agent.hpp"

#include <cctype>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <ctime>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "frontdoor/decision_log.hpp"
#include "policy/address.hpp"
#include "smtp/delivery/courier_setup.hpp"
#include "smtp/delivery/delivery_schedule.hpp"
#include "smtp/delivery/dsn_message.hpp"
#include "smtp/delivery/hold_release.hpp"
#include "policy/engine.hpp"

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
    bool outbound = false;      // decided by the outbound courier (another server's answer)
};

std::string domain_of(const std::string& address) {
    const auto at = address.rfind('@');
    std::string d = at == std::string::npos ? std::string() : address.substr(at + 1);
    for (auto& c : d) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return d;
}

// Domains remembered as failing, at most this many (the memory is an optimization only).
constexpr std::size_t max_deferred_domains = 10'000;

}  // namespace

struct DeliveryAgent::State {
    queue::Queue& queue;
    RulesSnapshot rules;
    DeliveryConfig config;
    LogFunction log;
    Couriers couriers;

    std::mutex mutex;                 // guards what follows, up to `workers`
    std::condition_variable cv;       // the dispatcher: woken, stopping, a worker done
    std::condition_variable work_cv;  // the workers: work, stopping
    bool stopping = false;
    bool woken = false;
    struct Job {
        std::string id;
        bool remote_only = false;  // has recipients on other servers: counts toward the cap
    };
    std::deque<Job> work;
    std::set<std::string> in_flight;  // queued in `work` or being delivered
    std::size_t remote_only_in_flight = 0;  // of those, messages that go to other servers
    std::size_t capped_last_time = 0;       // due outbound mail the last dispatch held back
    std::map<std::string, std::int64_t> not_before;  // queue errors: left alone until then
    // Destinations whose outbound delivery failed for now. The first success to one wakes its
    // other deferred mail at once, not at each message's own next retry.
    std::set<std::string> deferred_domains;
    HoldRelease releases;  // held mail an ETRN let go for one attempt
    std::thread dispatcher;
    std::vector<std::thread> workers;

    State(queue::Queue& q, RulesSnapshot r, DeliveryConfig c, Couriers k, LogFunction l)
        : queue(q), rules(std::move(r)), config(std::move(c)), log(std::move(l)), couriers(std::move(k)) {
        if (!log) log = [](const std::string&) {};
        if (config.workers == 0) config.workers = 1;
    }

    std::int64_t now() const { return config.clock ? config.clock() : static_cast<std::int64_t>(std::time(nullptr)); }
    bool stop_requested() {
        std::lock_guard lock(mutex);
        return stopping;
    }

    void run();
    void dispatch();
    void work_loop();
    bool goes_out(const queue::MessageInfo& message, const policy::Ruleset* rules) const;
    void process(const queue::MessageInfo& message);
    std::vector<Decision> deliver(const queue::MessageInfo& message, const policy::Ruleset& rules,
                                  const std::string& body);
    bool notify(const queue::MessageInfo& message, DsnKind kind, const std::vector<DsnRecipient>& recipients,
                const std::string& body, std::int64_t now);
    void log_decision(const queue::MessageInfo& message, const queue::Recipient& r, const Decision& d,
                      const char* status, std::int64_t now);
    void wake_domain(const std::string& domain);
};

void DeliveryAgent::State::run() {
    for (;;) {
        try {
            dispatch();
        } catch (const std::exception& e) {
            // A bug or resource exhaustion in one pass must not end delivery for good.
            log(std::string("warning: delivery pass failed: ") + e.what());
        }
        for (Courier* c : {couriers.local.get(), couriers.outbound.get()})
            if (c) c->tick();
        std::unique_lock lock(mutex);
        cv.wait_for(lock, std::chrono::milliseconds(config.poll_interval_ms), [&] { return stopping || woken; });
        if (stopping) return;
        woken = false;
    }
}

// Whether delivering the message may talk to other servers (and so take its time).
bool DeliveryAgent::State::goes_out(const queue::MessageInfo& message, const policy::Ruleset* r) const {
    if (!r) return false;
    for (const auto& rcpt : message.envelope.recipients) {
        if (rcpt.state != RecipientState::pending) continue;
        auto parsed = parse_address(rcpt.address);
        if (parsed.address && route_of(*r, *parsed.address) == RecipientRoute::outbound) return true;
    }
    return false;
}

// Hands due messages to idle workers: local-only mail first, and mail that goes to other servers
// only while a worker stays free for local-only mail.
void DeliveryAgent::State::dispatch() {
    const std::int64_t start = now();
    std::size_t skip = 0;
    {
        std::lock_guard lock(mutex);
        std::erase_if(not_before, [&](const auto& entry) { return entry.second <= start; });
        if (in_flight.size() >= config.workers) return;
        // Listed again past what is busy, waits after a queue error, or was held back by the cap
        // last time, so that a backlog of outbound mail never hides new local mail behind it.
        skip = in_flight.size() + not_before.size() + std::min<std::size_t>(capped_last_time, 5000);
    }
    auto due = queue.due(start, config.batch + skip);
    if (!due) {
        log("warning: queue: cannot list due messages: " + due.error().origin + ": " + due.error().detail);
        return;
    }
    auto rules_snapshot = rules ? rules() : nullptr;
    std::vector<Job> local, remote;
    for (const auto& m : *due) (goes_out(m, rules_snapshot.get()) ? remote : local).push_back({m.id, false});
    for (auto& j : remote) j.remote_only = true;
    std::size_t added = 0;
    {
        std::lock_guard lock(mutex);
        capped_last_time = 0;
        for (auto* jobs : {&local, &remote}) {
            for (const Job& j : *jobs) {
                if (in_flight.size() >= config.workers) break;
                if (in_flight.contains(j.id) || not_before.contains(j.id)) continue;
                if (j.remote_only && config.workers > 1 && remote_only_in_flight + 1 >= config.workers) {
                    ++capped_last_time;
                    continue;
                }
                in_flight.insert(j.id);
                if (j.remote_only) ++remote_only_in_flight;
                work.push_back(j);
                ++added;
            }
        }
    }
    if (added) work_cv.notify_all();
}

void DeliveryAgent::State::work_loop() {
    for (;;) {
        Job job;
        {
            std::unique_lock lock(mutex);
            work_cv.wait(lock, [&] { return stopping || !work.empty(); });
            if (stopping) return;
            job = std::move(work.front());
            work.pop_front();
        }
        try {
            // Read afresh: the dispatcher's copy may predate another worker's update of it.
            auto fresh = queue.find(job.id);
            if (!fresh) {
                log("warning: queue: cannot read " + job.id + ": " + fresh.error().detail + "; will retry");
                std::lock_guard lock(mutex);
                not_before[job.id] = now() + queue_error_backoff_s;
            } else if (*fresh && (*fresh)->state == queue::MessageState::active && (*fresh)->next_attempt <= now()) {
                process(**fresh);
            }
        } catch (const std::exception& e) {
            log("warning: " + job.id + ": delivery failed: " + e.what() + "; will retry");
            std::lock_guard lock(mutex);
            not_before[job.id] = now() + queue_error_backoff_s;
        }
        {
            std::lock_guard lock(mutex);
            in_flight.erase(job.id);
            if (job.remote_only) --remote_only_in_flight;
            woken = true;  // a worker is free: the dispatcher may hand out more
        }
        cv.notify_all();
    }
}

void DeliveryAgent::State::wake_domain(const std::string& domain) {
    auto scheduled = queue.schedule_now(domain);
    if (!scheduled) {
        log("warning: queue: cannot schedule the mail for " + domain + ": " + scheduled.error().detail);
        return;
    }
    if (*scheduled == 0) return;
    log(domain + ": delivery works again: " + std::to_string(*scheduled) + " deferred message" +
        (*scheduled == 1 ? "" : "s") + " scheduled now");
    std::lock_guard lock(mutex);
    woken = true;
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
    std::map<std::size_t, std::string> connector_of;  // outbound recipient -> its send connector
    std::set<std::string> sent_through;  // send connectors that took mail in this attempt
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
        if (route == RecipientRoute::outbound) {
            // README "ETRN": a connector with `hold` keeps its mail until an ETRN for the domain. The
            // wait is no attempt, and the mail still expires at queue_lifetime, as Postfix's
            // defer_transports mail does.
            // find_route, not a guess: a routing error must not let held mail out (it waits).
            auto via = policy::find_route(rules, *parsed.address, nullptr);
            if (!via) {
                waiting.push_back({i, DeliveryOutcome::temporary("4.3.0", "mail system error", "routing: " + via.error().detail),
                                   "none", false, true});
                continue;
            }
            if (*via && (*via)->hold && !releases.released(message.id, parsed.address->domain)) {
                waiting.push_back({i, DeliveryOutcome::temporary("4.4.0", "held for ETRN by send connector " + (*via)->send_connector),
                                   "none", false, true});
                continue;
            }
            if (*via) connector_of[i] = (*via)->send_connector;
        }
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
            if (auto c = connector_of.find(batch.indices[k]); c != connector_of.end() && outcome.kind == Kind::ok)
                sent_through.insert(c->second);
            decisions.push_back({batch.indices[k], std::move(outcome), std::move(relay), courier.remote_replies(), false,
                                 false, route == RecipientRoute::outbound});
        }
    }
    if (config.sent_through)
        for (const auto& name : sent_through) config.sent_through(name);
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
        std::lock_guard lock(mutex);
        not_before[message.id] = t + queue_error_backoff_s;
    };
    auto body = queue.read_body(message.id);
    if (!body) return defer("cannot read message", body.error());
    auto rules_snapshot = rules ? rules() : nullptr;
    if (!rules_snapshot) return defer("no rules", Error{Error::Kind::temporary, "rules", "no rule set loaded"});

    const auto& envelope = message.envelope;
    std::vector<queue::Recipient> recipients = envelope.recipients;
    const std::uint64_t release_mark = releases.mark();
    std::vector<Decision> decisions = deliver(message, *rules_snapshot, *body);
    releases.used(message.id, release_mark);  // one attempt per ETRN
    // An ETRN or `queue flush DOMAIN` while this attempt ran: the message is due again now, not at
    // this attempt's retry time (which the update below would otherwise write over the flush).
    const bool flushed_meanwhile = releases.pending(message.id);

    const bool is_expired = expired(config, envelope, t);
    std::vector<DsnRecipient> failed, succeeded;
    std::vector<std::size_t> failed_indices;
    std::int64_t wanted = t + config.remote_retry_s;
    std::set<std::string> recovered;  // deferred destinations that took mail in this attempt
    for (auto& d : decisions) {
        queue::Recipient& r = recipients[d.index];
        if (d.outbound) {
            const std::string domain = domain_of(r.address);
            std::lock_guard lock(mutex);
            if (d.outcome.kind == Kind::ok && deferred_domains.erase(domain) > 0) recovered.insert(domain);
            // Only a destination that could not be reached or used (4.4.x: connection, DNS, routing;
            // 4.7.5: TLS): a full mailbox or greylisting of one recipient is no outage.
            const std::string& status = d.outcome.smtp_reply.status;
            // Not 4.4.5: our own connection limit was full, which says nothing of the destination.
            if (d.outcome.kind == Kind::temporary && ((status.starts_with("4.4.") && status != "4.4.5") || status == "4.7.5")) {
                if (deferred_domains.size() >= max_deferred_domains) deferred_domains.clear();
                deferred_domains.insert(domain);
            }
        }
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

    const std::int64_t next =
        !any_pending ? 0 : flushed_meanwhile ? t : next_attempt(config, message, delay_warned, t, wanted);
    auto updated = queue.update(message.id, recipients, next, delay_warned);
    if (!updated) return defer("cannot update queue", updated.error());
    if (!any_pending) log(message.id + ": removed");
    for (const auto& domain : recovered) wake_domain(domain);
}

DeliveryAgent::DeliveryAgent(queue::Queue& queue, RulesSnapshot rules, DeliveryConfig config, Couriers couriers,
                             LogFunction log)
    : state_(std::make_unique<State>(queue, std::move(rules), std::move(config), std::move(couriers), std::move(log))) {}

DeliveryAgent::DeliveryAgent(queue::Queue& queue, RulesSnapshot rules, DeliveryConfig config, LogFunction log)
    : DeliveryAgent(queue, std::move(rules), config, make_couriers(config), std::move(log)) {}

DeliveryAgent::~DeliveryAgent() { stop(); }

void DeliveryAgent::start() {
    if (state_->dispatcher.joinable()) return;
    {
        std::lock_guard lock(state_->mutex);
        state_->stopping = false;
    }
    for (std::size_t i = 0; i < state_->config.workers; ++i)
        state_->workers.emplace_back([s = state_.get()] { s->work_loop(); });
    state_->dispatcher = std::thread([s = state_.get()] { s->run(); });
}

void DeliveryAgent::stop() {
    {
        std::lock_guard lock(state_->mutex);
        state_->stopping = true;
    }
    state_->cv.notify_all();
    state_->work_cv.notify_all();
    if (state_->dispatcher.joinable()) state_->dispatcher.join();
    for (auto& w : state_->workers)
        if (w.joinable()) w.join();
    state_->workers.clear();
    std::lock_guard lock(state_->mutex);
    state_->work.clear();  // undelivered jobs stay due in the queue
    state_->in_flight.clear();
    state_->remote_only_in_flight = 0;
}

Result<std::size_t> DeliveryAgent::flush_domain(const std::string& domain, bool subdomains) {
    auto messages = state_->queue.list();
    if (!messages) return messages.error();
    const std::int64_t t = state_->now();
    std::size_t count = 0;
    std::set<std::string> domains;  // the recipient domains to schedule, each as the queue knows it
    for (const auto& m : *messages) {
        if (m.state != queue::MessageState::active) continue;
        bool matched = false;
        for (const auto& r : m.envelope.recipients) {
            if (r.state != RecipientState::pending) continue;
            std::string d = domain_of(r.address);
            if (!in_node(d, domain, subdomains)) continue;
            matched = true;
            domains.insert(std::move(d));
        }
        if (!matched) continue;
        ++count;
        state_->releases.release(m.id, domain, subdomains, t);
    }
    for (const auto& d : domains) {
        auto scheduled = state_->queue.schedule_now(d);
        if (!scheduled) return scheduled.error();
    }
    forget_failures();
    wake();
    return count;
}

void DeliveryAgent::forget_failures() {
    for (Courier* c : {state_->couriers.local.get(), state_->couriers.outbound.get()})
        if (c) c->forget_failures();
}

void DeliveryAgent::wake() {
    {
        std::lock_guard lock(state_->mutex);
        state_->woken = true;
    }
    state_->cv.notify_all();
}

}  // namespace mw::smtp::delivery
