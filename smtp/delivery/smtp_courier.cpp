#include "smtp/delivery/smtp_courier.hpp"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <cctype>
#include <exception>
#include <fstream>
#include <optional>

#include "certs/client_context.hpp"
#include "policy/engine.hpp"
#include "smtp/delivery/smtp_attempt.hpp"
#include "smtp/exception_text.hpp"
#include "smtp/queue/queue.hpp"

namespace mw::smtp::delivery {

namespace {

// RFC 3461 section 4.1's NOTIFY value of a recipient, as queued.
std::string notify_text(std::uint8_t notify) {
    if (notify == queue::notify_default) return {};
    if (notify & queue::notify_never) return "NEVER";
    std::string out;
    for (auto [flag, word] : {std::pair{queue::notify_success, "SUCCESS"}, std::pair{queue::notify_failure, "FAILURE"},
                              std::pair{queue::notify_delay, "DELAY"}}) {
        if (!(notify & flag)) continue;
        if (!out.empty()) out += ',';
        out += word;
    }
    return out;
}

DeliveryOutcome outcome_of(const ResolvedNextHop& hop) {
    DeliveryOutcome o;
    o.kind = hop.status == ResolvedNextHop::Status::permanent ? DeliveryOutcome::Kind::permanent
                                                              : DeliveryOutcome::Kind::temporary;
    o.smtp_reply = hop.failure;
    o.detail = hop.detail;
    o.relay = "none";  // no server was reached: Postfix's relay=none
    return o;
}

// One destination of a message: the recipients that share a route.
struct Group {
    policy::Route route;
    std::vector<std::size_t> indices;
};

bool same_way(const policy::Route& a, const policy::Route& b) {
    return a.nexthop == b.nexthop && a.fallbacks == b.fallbacks && a.tls == b.tls &&
           a.send_connector == b.send_connector;
}

std::string next_hop_domain(const policy::Route& route) {
    return route.nexthop.kind == policy::NextHop::Kind::mx ? route.nexthop.domain : route.nexthop.host.host;
}

}  // namespace

std::map<std::string, std::string> read_smart_host_passwords(const policy::Ruleset& rules,
                                                             const std::function<void(const std::string&)>& log) {
    std::map<std::string, std::string> out;
    for (const auto& c : rules.send_connectors) {
        if (!c.auth || out.contains(c.auth->password_file)) continue;
        std::ifstream in(c.auth->password_file);
        std::string password;
        if (in) std::getline(in, password);
        if (!password.empty() && password.back() == '\r') password.pop_back();
        if (password.empty()) {
            if (log)
                log("warning: send connector " + c.name + ": cannot read a password from " + c.auth->password_file +
                    "; its smart host is not logged in to");
            continue;
        }
        out.emplace(c.auth->password_file, std::move(password));
    }
    return out;
}

// One delivery at a time: an event loop and a resolver of its own. Lanes are made at start (while
// the daemon may still read root-only resolver files) and shared by the agent's workers.
struct Lane {
    Lane(std::size_t kept, std::chrono::milliseconds idle_limit) : kept_sessions(kept, idle_limit) {}
    asio::io_context io;
    std::shared_ptr<dns::Resolver> resolver;
    SessionCache kept_sessions;  // before io in destruction: their sockets belong to it
    ~Lane() {
        kept_sessions = SessionCache(0, {});
        if (resolver) resolver->stop();
        io.restart();
        io.poll();  // let the stopped resolver's handlers finish before the loop goes away
    }
};

struct SmtpCourier::State {
    SmtpCourierConfig config;
    LogFunction log;
    std::mutex lanes_mutex;
    std::condition_variable lane_free;
    std::vector<std::unique_ptr<Lane>> idle_lanes;
    std::optional<asio::ssl::context> tls;
    std::optional<asio::ssl::context> tls_with_cert;
    certs::X509StorePtr system_anchors;
    certs::TrustAnchors domain_security_anchors;
    DeadAddresses dead;
    ConnectionLimits limits;
    AttemptEnvironment env;

    State(SmtpCourierConfig c, LogFunction l)
        : config(std::move(c)),
          log(std::move(l)),
          dead(config.dead_address_time),
          limits(ConnectionLimitsConfig{config.max_connections, config.max_connections_per_domain,
                                        config.initial_connections_per_domain}) {
        if (!log) log = [](const std::string&) {};
        for (std::size_t i = 0; i < std::max<std::size_t>(config.concurrency, 1); ++i) {
            auto lane = std::make_unique<Lane>(config.kept_sessions_per_lane, config.session_idle_limit);
            if (auto r = dns::Resolver::create(lane->io.get_executor(), config.dns))
                lane->resolver = *r;
            else if (i == 0)
                log("warning: outbound delivery: DNS resolver: " + r.error().detail + "; mail to other domains waits");
            idle_lanes.push_back(std::move(lane));
        }
        if (auto ctx = certs::make_client_context())
            tls.emplace(ctx->release());
        else
            log("warning: outbound delivery: TLS: " + ctx.error().detail);
        if (!config.client_cert.empty()) {
            if (auto ctx = certs::make_client_context(config.client_cert, config.client_key))
                tls_with_cert.emplace(ctx->release());
            else
                log("warning: outbound delivery: client certificate: " + ctx.error().detail +
                    "; partners that require it (domain security send) get no mail");
        }
        if (auto store = certs::system_trust_anchors())
            system_anchors = std::move(*store);
        else
            log("warning: outbound delivery: " + store.error().detail);

        env.client.protocol = ClientProtocol::smtp;
        env.client.helo_name = config.helo_name;
        for (auto& c : config.helo_name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        env.client.connect_timeout = config.connect_timeout;
        env.client.command_timeout = config.command_timeout;
        env.client.data_timeout = config.command_timeout;
        env.tls = tls ? &*tls : nullptr;
        env.tls_with_cert = tls_with_cert ? &*tls_with_cert : nullptr;
        env.system_anchors = system_anchors.get();
        env.domain_security_anchors = &domain_security_anchors;
        env.dead = &dead;
        env.limits = &limits;
        env.max_messages_per_connection = std::max<std::size_t>(config.max_messages_per_connection, 1);
        env.evict_idle = [this](const std::string& destination) { return evict_idle(destination); };
        env.log = log;
    }

    // A kept session on a lane no delivery uses, closed to free its slot. Safe from any thread:
    // a lane in idle_lanes runs nothing, and taking it needs the mutex held here.
    bool evict_idle(const std::string& destination) {
        std::lock_guard lock(lanes_mutex);
        for (auto& lane : idle_lanes)
            if (lane->kept_sessions.evict(destination)) return true;
        return false;
    }

    // The idle lane to deliver on: one that keeps a session to the message's first destination,
    // else the one used last. Mutex held; idle_lanes not empty.
    std::unique_ptr<Lane> take_lane(const std::string& destination) {
        auto it = idle_lanes.end() - 1;
        if (!destination.empty()) {
            auto keeping = std::find_if(idle_lanes.rbegin(), idle_lanes.rend(),
                                        [&](const auto& l) { return l->kept_sessions.holds(destination); });
            if (keeping != idle_lanes.rend()) it = std::next(keeping).base();
        }
        std::unique_ptr<Lane> lane = std::move(*it);
        idle_lanes.erase(it);
        return lane;
    }

    // The lanes' kept sessions hold slots of `limits` and sockets of the TLS contexts: they go
    // first, whatever the order of the members.
    ~State() { idle_lanes.clear(); }

    DnsLookup lookup(Lane& lane) {
        if (lane.resolver) return lookup_with(lane.resolver, config.dns_timeout);
        return [](std::string name, dns::DnsType type) -> asio::awaitable<dns::DnsAnswer> {
            dns::DnsAnswer a;
            a.name = std::move(name);
            a.type = type;
            a.status = dns::DnsStatus::resolver_error;
            a.detail = "no resolver (see the warning at start)";
            co_return a;
        };
    }

    asio::awaitable<std::vector<DeliveryOutcome>> run(Lane& lane, const CourierMessage& m,
                                                      const std::vector<CourierRecipient>& rs);
    asio::awaitable<void> deliver_group(Lane& lane, const CourierMessage& m, const std::vector<CourierRecipient>& rs,
                                        const Group& group, std::vector<std::optional<DeliveryOutcome>>& out);
};

asio::awaitable<std::vector<DeliveryOutcome>> SmtpCourier::State::run(Lane& lane, const CourierMessage& m,
                                                                      const std::vector<CourierRecipient>& rs) {
    std::vector<std::optional<DeliveryOutcome>> out(rs.size());
    std::vector<Group> groups;
    for (std::size_t i = 0; i < rs.size(); ++i) {
        auto route = policy::find_route(*m.rules, rs[i].parsed, nullptr);
        if (!route) {
            out[i] = DeliveryOutcome::temporary("4.3.0", "mail system error", "routing: " + route.error().detail);
        } else if (!*route) {
            // The rules changed since the message was accepted. Exchange keeps such mail in its
            // "unreachable" queue rather than bouncing it: an admin's edit may bring the route back.
            out[i] = DeliveryOutcome::temporary("4.4.0", "no send connector routes mail for " + rs[i].parsed.domain);
        } else {
            auto g = std::find_if(groups.begin(), groups.end(), [&](const Group& x) { return same_way(x.route, **route); });
            if (g == groups.end()) g = groups.insert(groups.end(), Group{std::move(**route), {}});
            g->indices.push_back(i);
        }
    }
    for (auto& o : out)
        if (o) o->relay = "none";  // decided before any server was asked
    for (const auto& group : groups) co_await deliver_group(lane, m, rs, group, out);

    std::vector<DeliveryOutcome> result;
    result.reserve(out.size());
    for (auto& o : out)
        result.push_back(o ? std::move(*o) : DeliveryOutcome::temporary("4.3.0", "mail system error", "no outcome"));
    co_return result;
}

asio::awaitable<void> SmtpCourier::State::deliver_group(Lane& lane, const CourierMessage& m,
                                                        const std::vector<CourierRecipient>& rs,
                                                        const Group& group,
                                                        std::vector<std::optional<DeliveryOutcome>>& out) {
    auto set_all = [&](const DeliveryOutcome& o) {
        for (std::size_t i : group.indices) out[i] = o;
    };
    // The smart host's login, when its connector has one.
    std::optional<ClientLogin> login;
    auto connector = std::find_if(m.rules->send_connectors.begin(), m.rules->send_connectors.end(),
                                  [&](const policy::SendConnector& c) { return c.name == group.route.send_connector; });
    if (connector != m.rules->send_connectors.end() && connector->auth && group.route.smart_host()) {
        auto password = config.passwords.find(connector->auth->password_file);
        if (password == config.passwords.end()) {
            set_all(DeliveryOutcome::temporary("4.7.0", "no password for the smart host login",
                                               "password_file " + connector->auth->password_file +
                                                   " was not read at start; restart to read it"));
            co_return;
        }
        login = ClientLogin{connector->auth->user, password->second};
    }

    NextHopOptions options;
    options.address_limit = config.address_limit;
    options.own_names = {config.helo_name};
    DnsLookup dns = lookup(lane);  // named: GCC 12 mishandles temporaries in co_await expressions
    ResolvedNextHop hop = co_await resolve_next_hop(group.route.nexthop, options, dns);
    // The connector's other smart hosts: their addresses are tried after the first one's. One that
    // does not resolve is passed over; only when none does, the first one's failure decides.
    for (const auto& fallback : group.route.fallbacks) {
        ResolvedNextHop more = co_await resolve_next_hop(fallback, options, dns);
        if (more.status != ResolvedNextHop::Status::ok) {
            log("warning: " + m.queue_id + ": smart host " + fallback.str() + ": " + more.failure.str() +
                (more.detail.empty() ? "" : ": " + more.detail));
            continue;
        }
        if (hop.status != ResolvedNextHop::Status::ok) {
            hop = std::move(more);
            continue;
        }
        for (auto& t : more.targets)
            if (std::find(hop.targets.begin(), hop.targets.end(), t) == hop.targets.end()) hop.targets.push_back(std::move(t));
    }
    if (hop.status == ResolvedNextHop::Status::permanent && group.route.smart_host()) {
        // A smart host that does not resolve is our configuration's fault, not the recipient's:
        // the mail waits for the admin (Postfix defers it too).
        hop.status = ResolvedNextHop::Status::temporary;
        hop.failure = SmtpReply{451, "4.4.3", hop.failure.text};
    }
    if (hop.status != ResolvedNextHop::Status::ok) {
        if (hop.local_resolver)
            log("warning: " + m.queue_id + ": local resolver failure while looking up " + group.route.nexthop.str() +
                ": " + hop.detail);
        set_all(outcome_of(hop));
        co_return;
    }

    for (std::size_t begin = 0; begin < group.indices.size(); begin += config.recipient_limit) {
        const std::size_t end = std::min(group.indices.size(), begin + config.recipient_limit);
        AttemptRequest request;
        request.queue_id = m.queue_id;
        request.route = &group.route;
        request.rules = m.rules;
        request.next_hop_domain = next_hop_domain(group.route);
        request.targets = hop.targets;
        request.login = login ? &*login : nullptr;
        request.destination = group.route.nexthop.str();
        request.cache = &lane.kept_sessions;
        ClientTransaction& t = request.transaction;
        t.sender = m.sender;
        t.body_8bit = m.body_8bit;
        t.smtputf8 = m.smtputf8;
        t.data = m.data;
        t.dsn_ret = m.dsn_ret;
        t.dsn_envid = m.dsn_envid;
        for (std::size_t k = begin; k < end; ++k) {
            const CourierRecipient& r = rs[group.indices[k]];
            t.recipients.push_back(r.address);
            t.dsn.push_back({notify_text(r.notify), r.orcpt});
        }
        auto outcomes = co_await attempt_delivery(env, std::move(request));
        for (std::size_t k = begin; k < end; ++k) {
            out[group.indices[k]] = k - begin < outcomes.size()
                                        ? std::move(outcomes[k - begin])
                                        : DeliveryOutcome::temporary("4.3.0", "mail system error", "no outcome");
        }
    }
}

SmtpCourier::SmtpCourier(SmtpCourierConfig config, LogFunction log)
    : state_(std::make_unique<State>(std::move(config), std::move(log))) {}

SmtpCourier::~SmtpCourier() = default;

std::vector<DeliveryOutcome> SmtpCourier::deliver(const CourierMessage& message,
                                                  const std::vector<CourierRecipient>& recipients) {
    State& s = *state_;
    // A lane of our own for this delivery; the agent's workers share the lanes.
    std::string destination;  // of the first recipient: most messages have one
    if (!recipients.empty() && message.rules) {
        if (auto route = policy::find_route(*message.rules, recipients.front().parsed, nullptr); route && *route)
            destination = (*route)->nexthop.str();
    }
    std::unique_ptr<Lane> lane;
    {
        // While the destination has no free connection slot, wait for a lane that keeps a session
        // to it (the delivery that just ended there) rather than close one to open another; past
        // the connect timeout, any lane (the attempt then waits for a slot itself).
        std::unique_lock lock(s.lanes_mutex);
        const auto give_up = std::chrono::steady_clock::now() + s.config.connect_timeout;
        auto usable = [&] {
            if (s.idle_lanes.empty()) return false;
            if (destination.empty() || s.limits.available(destination)) return true;
            return std::any_of(s.idle_lanes.begin(), s.idle_lanes.end(),
                               [&](const auto& l) { return l->kept_sessions.holds(destination); });
        };
        while (!usable()) {
            if (std::chrono::steady_clock::now() >= give_up) {
                s.lane_free.wait(lock, [&] { return !s.idle_lanes.empty(); });
                break;
            }
            s.lane_free.wait_for(lock, std::chrono::milliseconds(100));
        }
        lane = s.take_lane(destination);
    }
    lane->kept_sessions.expire(SessionCache::Clock::now());
    // The lane goes back on every path, exceptions included: a lost lane would shrink the pool for good.
    struct ReturnLane {
        State& s;
        std::unique_ptr<Lane>& lane;
        ~ReturnLane() {
            {
                std::lock_guard lock(s.lanes_mutex);
                s.idle_lanes.push_back(std::move(lane));
            }
            s.lane_free.notify_all();
        }
    } give_back{s, lane};
    std::vector<DeliveryOutcome> out;
    std::string failure;
    bool done = false;
    // docs/conventions.md "Errors": no exception leaves an Asio handler; one inside the delivery
    // (memory exhaustion) defers every recipient like a lost connection.
    asio::co_spawn(lane->io, s.run(*lane, message, recipients), [&](std::exception_ptr e, std::vector<DeliveryOutcome> result) {
        done = true;
        if (!e) {
            out = std::move(result);
            return;
        }
        failure = exception_text(e);
    });
    lane->io.restart();
    // run_one, not run: the resolver's descriptor wait is always pending, so the loop never runs dry.
    while (!done) {
        try {
            if (lane->io.run_one() == 0) break;
        } catch (const std::exception& x) {
            s.log(std::string("warning: outbound delivery: ") + x.what());
        }
    }
    if (!done) failure = "the delivery did not finish";  // nothing stops the loop: a bug if seen
    if (out.size() != recipients.size()) {
        out.assign(recipients.size(),
                   DeliveryOutcome::temporary("4.3.0", "mail system error", "internal error: " + failure));
    }
    return out;
}

void SmtpCourier::tick() {
    State& s = *state_;
    const auto now = SessionCache::Clock::now();
    std::lock_guard lock(s.lanes_mutex);
    for (auto& lane : s.idle_lanes) lane->kept_sessions.expire(now);
}

void SmtpCourier::forget_failures() { state_->dead.clear_all(); }

}  // namespace mw::smtp::delivery
