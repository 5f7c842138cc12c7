#include "smtp/delivery/smtp_attempt.hpp"

#include <algorithm>

#include "certs/server_certificate.hpp"
#include "smtp/delivery/client_connection.hpp"

namespace mw::smtp::delivery {

namespace {

using Level = policy::OutboundTls::Level;

std::vector<DeliveryOutcome> everyone(std::size_t n, const DeliveryOutcome& outcome) {
    return std::vector<DeliveryOutcome>(n, outcome);
}

struct TargetResult {
    std::vector<DeliveryOutcome> outcomes;
    bool decided = false;           // the server answered for the transaction: no other server is tried
    bool handshake_failed = false;  // STARTTLS was accepted, and then the handshake failed
    bool limited = false;           // no connection slot: no other server of the destination is tried
};

// The anchors a route's server certificate is verified with: Domain Security's own CA file for a
// partner (mutual TLS), the system's otherwise.
X509_STORE* anchors_for(const AttemptEnvironment& env, const AttemptRequest& r, std::shared_ptr<X509_STORE>& hold) {
    if (!r.route->tls.client_certificate) return env.system_anchors;
    std::string error;
    const std::string* ca_file = r.rules->domain_security_ca_file();
    hold = env.domain_security_anchors && ca_file ? env.domain_security_anchors->store_for(*ca_file, &error) : nullptr;
    if (!hold && r.route->tls.level != Level::fingerprint)
        env.log("warning: " + r.queue_id + ": domain security: no trust anchors for " + r.next_hop_domain +
                (error.empty() ? std::string(" ([domain_security] ca_file is not set)") : ": " + error));
    return hold.get();
}

// Outcomes no server answered for (refused connections, addresses skipped, no slot) say
// relay=none in the log, as Postfix's do.
std::vector<DeliveryOutcome> no_server_is_none(std::vector<DeliveryOutcome> outcomes) {
    for (auto& o : outcomes)
        if (o.relay.empty()) o.relay = "none";
    return outcomes;
}

SessionKey key_of(const AttemptRequest& r, const DeliveryTarget& target) {
    return SessionKey{target, r.route->tls, r.next_hop_domain, r.route->send_connector,
                      r.login ? r.login->user + '\0' + r.login->password : std::string()};
}

// A slot for a new connection to the request's destination. While none is free, kept sessions
// that hold one are closed (this lane's first, then those of lanes not in use); then it waits for
// another delivery to end, at most the connect timeout.
ConnectionSlot take_slot(const AttemptEnvironment& env, const AttemptRequest& r) {
    if (!env.limits) return {};
    const auto deadline = ConnectionLimits::Clock::now() + env.client.connect_timeout;
    for (;;) {
        const auto now = ConnectionLimits::Clock::now();
        if (env.limits->acquire(r.destination, now)) return ConnectionSlot(env.limits, r.destination);
        // Sessions to other destinations only go when the total is what is full.
        const std::string whose = env.limits->total_full() ? std::string() : r.destination;
        const bool evicted = (r.cache && r.cache->evict(whose)) || (env.evict_idle && env.evict_idle(whose));
        if (evicted) continue;
        if (now >= deadline) return {};
        if (env.limits->acquire(r.destination, std::min(deadline, now + std::chrono::milliseconds(200))))
            return ConnectionSlot(env.limits, r.destination);
    }
}

// Who answered, on each outcome; and the slow-start feedback for the destination.
void credit(const AttemptEnvironment& env, const AttemptRequest& r, const OpenSession& s,
            std::vector<DeliveryOutcome>& outcomes) {
    bool delivered = false;
    for (auto& o : outcomes) {
        o.relay = s.key.target.str();
        o.remote_mta = s.key.target.host;
        if (o.kind == DeliveryOutcome::Kind::ok) {
            o.relayed = true;
            o.dsn_passed_on = s.session->offered_dsn();
            delivered = true;
        }
    }
    if (!env.limits) return;
    // Only the server's state shapes the window: no greeting, EHLO refused, the connection lost
    // before MAIL (4.4.1, 4.4.2); not a message it cannot take or a policy it does not meet.
    const bool server_failed = !outcomes.empty() && !s.session->transaction_started() &&
                               outcomes.front().kind == DeliveryOutcome::Kind::temporary &&
                               (outcomes.front().smtp_reply.status == "4.4.1" ||
                                outcomes.front().smtp_reply.status == "4.4.2");
    if (delivered)
        env.limits->succeeded(r.destination);
    else if (server_failed)
        env.limits->failed(r.destination);
}

// Keeps the session for the next transaction when it may carry one more; QUIT otherwise.
asio::awaitable<void> keep_or_close(const AttemptEnvironment& env, const AttemptRequest& r,
                                    std::unique_ptr<OpenSession> s) {
    if (!s->session->reusable()) co_return;
    if (r.cache && s->messages < env.max_messages_per_connection) {
        r.cache->put(std::move(s), SessionCache::Clock::now());
        co_return;
    }
    co_await s->session->close();
}

bool keep_open(const AttemptEnvironment& env, const AttemptRequest& r, std::size_t messages_after) {
    return r.cache && messages_after < env.max_messages_per_connection;
}

asio::awaitable<TargetResult> try_target(const AttemptEnvironment& env, const AttemptRequest& r,
                                         const DeliveryTarget& target, X509_STORE* anchors, bool plaintext) {
    const policy::OutboundTls& tls = r.route->tls;
    const std::size_t n = r.transaction.recipients.size();
    const std::string peer = target.str();
    TargetResult result;

    boost::system::error_code ec;
    auto ip = asio::ip::make_address(target.address, ec);
    if (ec) {
        result.outcomes = everyone(n, DeliveryOutcome::temporary("4.4.1", "bad address " + target.address));
        co_return result;
    }
    ConnectionSlot slot = take_slot(env, r);
    if (env.limits && !slot) {
        result.limited = true;
        result.outcomes = everyone(n, DeliveryOutcome::temporary("4.4.5", "too many connections to " + r.destination +
                                                                              " open already; will try again"));
        co_return result;
    }
    auto executor = co_await asio::this_coro::executor;
    auto s = std::make_unique<OpenSession>(executor, target.host + "[" + target.address + "]", std::move(slot));
    s->key = key_of(r, target);
    s->destination = r.destination;
    const ClientEndpoint endpoint(asio::ip::tcp::endpoint(ip, target.port));
    auto connected = co_await s->connection.connect(endpoint, ClientConnection::Clock::now() + env.client.connect_timeout);
    if (!connected) {
        env.dead->mark(target, DeadAddresses::Clock::now());
        if (env.limits) env.limits->failed(r.destination);
        // "connect to mx.example.com[192.0.2.1]:25: Connection refused", as Postfix words it.
        std::string what = connected.error().detail;
        if (what.starts_with("connect: ")) what.erase(0, 9);
        env.log(r.queue_id + ": connect to " + peer + ": " + what);
        result.outcomes = everyone(n, DeliveryOutcome::temporary("4.4.1", "connect to " + peer + ": " + what));
        co_return result;
    }
    env.dead->clear(target);

    StartTlsPlan& plan = s->plan;
    plan.attempt = !plaintext;
    plan.required = strength(tls.level) > strength(Level::may);
    plan.context = tls.client_certificate ? env.tls_with_cert : env.tls;
    plan.sni = is_address_literal(target.host) ? std::string() : target.host;
    plan.peer = peer;
    // Only called during the handshake, below: what it refers to outlives that.
    plan.check = [&](SSL* ssl) -> std::optional<std::string> {
        const certs::ServerTlsExpectation expected{tls, anchors, target.host, r.next_hop_domain};
        const certs::ServerTlsVerdict verdict = certs::check_server_tls(ssl, expected);
        env.log(r.queue_id + ": " + certs::tls_established_line(verdict, peer));
        if (verdict.acceptable) return std::nullopt;
        return verdict.failure + " (host " + peer + ")";
    };
    if (r.login) s->login = *r.login;

    s->options = env.client;
    s->options.protocol = ClientProtocol::smtp;
    s->options.starttls = tls.level == Level::none ? nullptr : &plan;
    s->options.login = s->login ? &*s->login : nullptr;
    s->session.emplace(s->connection, s->options);
    s->messages = 1;
    result.outcomes = co_await s->session->deliver(r.transaction, keep_open(env, r, 1));
    result.handshake_failed = s->session->tls_handshake_failed();
    result.decided = s->session->transaction_started() ||
                     std::any_of(result.outcomes.begin(), result.outcomes.end(),
                                 [](const DeliveryOutcome& o) { return o.kind != DeliveryOutcome::Kind::temporary; });
    credit(env, r, *s, result.outcomes);
    plan.check = nullptr;  // its references end here; a kept session never shakes hands again
    co_await keep_or_close(env, r, std::move(s));
    co_return result;
}

// The transaction on a session kept from an earlier one, when there is one for these targets and
// it still answers RSET; nullopt otherwise.
asio::awaitable<std::optional<std::vector<DeliveryOutcome>>> try_kept_session(const AttemptEnvironment& env,
                                                                             const AttemptRequest& r) {
    if (!r.cache) co_return std::nullopt;
    std::unique_ptr<OpenSession> s = r.cache->take(r.targets, key_of(r, DeliveryTarget{}));
    if (!s) co_return std::nullopt;
    if (!co_await s->session->reset()) co_return std::nullopt;  // gone meanwhile: a new connection
    ++s->messages;
    auto outcomes = co_await s->session->deliver(r.transaction, keep_open(env, r, s->messages));
    credit(env, r, *s, outcomes);
    co_await keep_or_close(env, r, std::move(s));
    co_return outcomes;
}

}  // namespace

bool DeadAddresses::dead(const DeliveryTarget& target, Clock::time_point now) const {
    std::lock_guard lock(mutex_);
    auto it = until_.find(key(target));
    return it != until_.end() && it->second > now;
}

void DeadAddresses::mark(const DeliveryTarget& target, Clock::time_point now) {
    std::lock_guard lock(mutex_);
    if (until_.size() > 100'000) until_.clear();  // a memory of convenience: never unbounded
    until_[key(target)] = now + memory_;
}

void DeadAddresses::clear(const DeliveryTarget& target) {
    std::lock_guard lock(mutex_);
    until_.erase(key(target));
}

void DeadAddresses::clear_all() {
    std::lock_guard lock(mutex_);
    until_.clear();
}

asio::awaitable<std::vector<DeliveryOutcome>> attempt_delivery(const AttemptEnvironment& env, AttemptRequest r) {
    const policy::OutboundTls& tls = r.route->tls;
    const std::size_t n = r.transaction.recipients.size();
    if (tls.level == Level::dane_only)
        co_return everyone(n, DeliveryOutcome::temporary("4.7.5", "TLS is required with DANE, which this version cannot verify"));
    const bool have_context = (tls.client_certificate ? env.tls_with_cert : env.tls) != nullptr;
    if (strength(tls.level) > strength(Level::may) && !have_context) {
        co_return everyone(n, DeliveryOutcome::temporary(
                                  "4.7.5", tls.client_certificate
                                               ? "Domain Security requires our client certificate, and none is loaded"
                                               : "TLS is required, and no TLS client context could be made"));
    }
    std::shared_ptr<X509_STORE> hold;
    X509_STORE* anchors = anchors_for(env, r, hold);

    if (auto kept = co_await try_kept_session(env, r)) co_return std::move(*kept);

    std::vector<DeliveryOutcome> last;
    const auto now = DeadAddresses::Clock::now();
    for (const auto& target : r.targets) {
        if (env.dead->dead(target, now)) {
            if (last.empty())
                last = everyone(n, DeliveryOutcome::temporary("4.4.1", "connect to " + target.str() +
                                                                           ": not answering lately; not tried"));
            continue;
        }
        bool plaintext = tls.level == Level::none || !have_context;  // `may` without TLS: plaintext
        for (;;) {
            TargetResult result = co_await try_target(env, r, target, anchors, plaintext);
            if (result.decided || result.limited) co_return no_server_is_none(std::move(result.outcomes));
            last = std::move(result.outcomes);
            if (!last.empty() && !last.front().smtp_reply.text.starts_with("connect to "))
                env.log(r.queue_id + ": host " + target.str() + ": " + last.front().reply() +
                        (last.front().detail.empty() ? "" : ": " + last.front().detail));
            // Postfix at `may`: a failed handshake is no reason to give up on encryption-less mail.
            if (result.handshake_failed && tls.level == Level::may && !plaintext) {
                env.log(r.queue_id + ": TLS handshake with " + target.str() + " failed; trying it again in plaintext");
                plaintext = true;
                continue;
            }
            break;
        }
    }
    if (last.empty())
        last = everyone(n, DeliveryOutcome::temporary("4.4.1", "no address of " + r.next_hop_domain + " to try"));
    co_return no_server_is_none(std::move(last));
}

}  // namespace mw::smtp::delivery
