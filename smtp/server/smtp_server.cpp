#include "smtp/server/smtp_server.hpp"

#include <algorithm>
#include <set>
#include <tuple>
#include <stdexcept>

#include "certs/server_context.hpp"
#include "smtp/server/session.hpp"

namespace mw::smtp::server {

namespace {

// How long a stop waits for sessions to finish what they are doing (a message being received or
// queued) after each was told 421; as long as the milter's drain. Then the rest are cut.
constexpr auto stop_grace = std::chrono::seconds(30);

struct Listen {
    asio::ip::address address;
    std::uint16_t port = 0;
    bool v6only = false;
    bool operator<(const Listen& o) const {
        return std::tie(address, port, v6only) < std::tie(o.address, o.port, o.v6only);
    }
};

// The sockets to open for a set of endpoints. A wildcard covers the specific addresses of its
// family on the same port (Linux refuses to bind both), and "[::]" answers IPv4 too unless
// "0.0.0.0" is bound on that port as well.
std::set<Listen> listeners_for(const policy::Ruleset& rules) {
    std::set<std::pair<bool, std::uint16_t>> v4_any, v6_any;  // (true, port)
    std::vector<std::pair<std::string, std::uint16_t>> specific;
    for (const auto& c : rules.receive_connectors) {
        for (const auto& e : c.bind) {
            if (!e.address) {
                v6_any.insert({true, e.port});
                continue;
            }
            std::string text = e.address->to_string();
            bool unspecified = text == "0.0.0.0" || text == "::";
            if (unspecified && e.address->v4) v4_any.insert({true, e.port});
            else if (unspecified) v6_any.insert({true, e.port});
            else specific.emplace_back(text, e.port);
        }
    }
    std::set<Listen> out;
    for (const auto& [_, port] : v4_any) out.insert({asio::ip::address_v4::any(), port, false});
    for (const auto& [_, port] : v6_any) out.insert({asio::ip::address_v6::any(), port, v4_any.count({true, port}) > 0});
    for (const auto& [text, port] : specific) {
        auto address = asio::ip::make_address(text);
        bool covered = v6_any.count({true, port}) > 0 && (address.is_v6() || v4_any.count({true, port}) == 0);
        covered = covered || (address.is_v4() && v4_any.count({true, port}) > 0);
        if (!covered) out.insert({address, port, false});
    }
    return out;
}

std::string endpoint_text(const Listen& l) {
    return l.address.is_v6() ? "[" + l.address.to_string() + "]:" + std::to_string(l.port)
                             : l.address.to_string() + ":" + std::to_string(l.port);
}

}  // namespace

SmtpServer::SmtpServer(ServerHooks hooks) {
    context_.hooks = std::move(hooks);
    context_.blocking_pool = &blocking_pool_;
}

SmtpServer::~SmtpServer() { stop(); }

void SmtpServer::open(const policy::Ruleset& rules, const ServerOptions& options) {
    if (!options.tls_cert.empty() && std::filesystem::exists(options.tls_cert)) {
        auto ctx = certs::make_server_context(options.tls_cert, options.tls_key);
        if (!ctx) throw std::runtime_error("smtp: " + ctx.error().origin + ": " + ctx.error().detail);
        tls_ = std::make_unique<asio::ssl::context>(ctx->release());
        context_.tls = tls_.get();
    } else {
        context_.log("warning: smtp: no TLS certificate at " + options.tls_cert.string() +
                     ": STARTTLS is not offered and AUTH is refused where it needs TLS");
    }
    if (!options.users_file.empty() && std::filesystem::exists(options.users_file)) {
        auto users = UsersFile::load(options.users_file);
        if (!users) throw std::runtime_error("smtp: " + users.error().detail);
        context_.users = std::make_shared<const UsersFile>(std::move(users.value()));
    } else {
        context_.log("warning: smtp: no users file at " + options.users_file.string() + ": AUTH is not offered");
    }
    context_.max_hops = options.max_hops;
    if (options.dns) {
        auto resolver = dns::Resolver::create(io_.get_executor(), *options.dns);
        if (!resolver) throw std::runtime_error("dns: " + resolver.error().detail);
        context_.resolver = std::move(resolver.value());
    }
    for (const auto& l : listeners_for(rules)) {
        // On a strand of its own: stop() closes it there, never while its accept loop runs.
        auto acceptor = std::make_unique<asio::ip::tcp::acceptor>(asio::make_strand(io_));
        asio::ip::tcp::endpoint endpoint(l.address, l.port);
        acceptor->open(endpoint.protocol());
        acceptor->set_option(asio::socket_base::reuse_address(true));
        if (l.address.is_v6()) acceptor->set_option(asio::ip::v6_only(l.v6only));
        boost::system::error_code ec;
        acceptor->bind(endpoint, ec);
        if (ec) throw std::runtime_error("smtp: cannot listen on " + endpoint_text(l) + ": " + ec.message());
        acceptor->listen(asio::socket_base::max_listen_connections);
        bound_.push_back(endpoint_text(l));
        acceptors_.push_back(std::move(acceptor));
    }
    if (acceptors_.empty()) throw std::runtime_error("smtp: no receive connector has a `bind` endpoint");
    thread_count_ = options.threads ? options.threads : std::max(1u, std::thread::hardware_concurrency());
}

void SmtpServer::start(queue::Queue& queue, std::function<std::shared_ptr<const policy::Ruleset>()> snapshot,
                       std::function<void()> queued, decltype(ServerHooks::etrn) etrn) {
    context_.queue = &queue;
    context_.hooks.snapshot = std::move(snapshot);
    context_.hooks.queued = std::move(queued);
    context_.hooks.etrn = std::move(etrn);
    work_.emplace(io_.get_executor());
    for (auto& a : acceptors_) asio::co_spawn(a->get_executor(), accept_loop(*a), asio::detached);
    for (unsigned i = 0; i < thread_count_; ++i) threads_.emplace_back([this] { io_.run(); });
}

void SmtpServer::stop() {
    if (stopped_) return;
    stopped_ = true;
    if (!threads_.empty()) {
        // No new sessions, then every open one is told: 421 4.3.2 at once when it waits for a
        // command, after its command otherwise, so a message in transfer or being queued still gets
        // its 250 (SMTP clients retry after a 421; one cut off before its 250 would send the message
        // again).
        for (auto& a : acceptors_)
            asio::post(a->get_executor(), [&acceptor = *a] {
                boost::system::error_code ignored;
                acceptor.close(ignored);
            });
        context_.log("stopping: " + std::to_string(context_.counters.sessions_active.load()) +
                     " session(s) open: each gets 421 4.3.2 once its command is done");
        context_.sessions.stop_all();
        if (std::size_t left = context_.sessions.wait_empty(std::chrono::steady_clock::now() + stop_grace))
            context_.log("warning: smtp: stopping with " + std::to_string(left) + " session(s) still busy after " +
                         std::to_string(stop_grace.count()) + "s; what they did not get a 250 for, their clients send again");
    }
    if (context_.resolver) context_.resolver->stop();  // its descriptor wait would keep the threads busy
    work_.reset();
    io_.stop();
    for (auto& t : threads_) t.join();
    threads_.clear();
    context_.resolver.reset();
    blocking_pool_.join();
    // No I/O thread runs any more: the acceptors can be closed from here.
    for (auto& a : acceptors_) {
        boost::system::error_code ignored;
        a->close(ignored);
    }
}

asio::awaitable<void> SmtpServer::accept_loop(asio::ip::tcp::acceptor& acceptor) {
    for (;;) {
        // Each session runs on a strand of its own: its coroutine and its timer never race.
        asio::ip::tcp::socket socket(asio::make_strand(io_));
        boost::system::error_code ec;
        co_await acceptor.async_accept(socket, asio::redirect_error(asio::use_awaitable, ec));
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
        if (ec) {
            // Out of file descriptors and the like: wait a little instead of spinning.
            context_.log("warning: smtp: accept: " + ec.message());
            asio::steady_timer wait(io_);
            wait.expires_after(std::chrono::milliseconds(100));
            co_await wait.async_wait(asio::use_awaitable);
            continue;
        }
        socket.set_option(asio::ip::tcp::no_delay(true), ec);
        try {
            Session::start(context_, std::move(socket));
        } catch (const std::exception& e) {
            // One session that cannot start (out of memory, a socket error) must not end the listener.
            context_.log(std::string("warning: smtp: cannot start a session: ") + e.what());
        }
    }
}

std::vector<std::string> SmtpServer::listening() const { return bound_; }

void SmtpServer::rules_changed(const policy::Ruleset& rules) {
    for (const auto& l : listeners_for(rules)) {
        std::string text = endpoint_text(l);
        if (std::find(bound_.begin(), bound_.end(), text) == bound_.end())
            context_.log("warning: smtp: receive connector binding " + text + " needs a restart of mailwarden");
    }
}

}  // namespace mw::smtp::server
