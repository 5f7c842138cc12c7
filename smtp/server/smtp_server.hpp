// The standalone ESMTP server: one listener per distinct `bind` endpoint of the receive connectors,
// Boost.Asio I/O threads, one coroutine per session on its own strand.
//
// Listeners are opened once, at start (ports below 1024 need root, which is gone after start):
// a reload that adds a binding logs that a restart is needed; connectors are re-chosen per session
// from the rules in force (evaluate_connect), so every other change applies to the next session.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "policy/ruleset.hpp"
#include "smtp/server/server_context.hpp"

namespace mw::smtp::server {

struct ServerOptions {
    std::filesystem::path tls_cert;   // empty: no STARTTLS
    std::filesystem::path tls_key;
    std::filesystem::path users_file; // empty or missing: no AUTH
    unsigned threads = 0;             // I/O threads; 0: one per core
    // The resolver for the receive connectors' reverse_dns; none: every client is "unknown" (and a
    // connector that requires a name refuses unauthenticated clients).
    std::optional<dns::ResolverConfig> dns;
    unsigned max_hops = 50;  // README "Standalone mode": more Received: fields, ours included, is a loop
};

class SmtpServer {
public:
    // `hooks.log` and `check_local_recipient` are used from open() on; the rules and the queue come at start.
    explicit SmtpServer(ServerHooks hooks);
    ~SmtpServer();

    // Loads the TLS identity and the users file (errors: std::runtime_error with the reason), and
    // binds a listener for every endpoint of `rules`' receive connectors. Call before dropping privileges.
    void open(const policy::Ruleset& rules, const ServerOptions& options);
    // `etrn`: ServerHooks::etrn (empty: ETRN answers 458).
    void start(queue::Queue& queue, std::function<std::shared_ptr<const policy::Ruleset>()> snapshot,
               std::function<void()> queued, decltype(ServerHooks::etrn) etrn = {});
    // Stops accepting and tells every session 421 4.3.2 "Service shutting down": one waiting for a
    // command at once, one in a command (a message being received or queued) once that is done and
    // answered. Waits for them to end (at most 30 s; what is left then is cut, unacknowledged, and
    // its clients retry), then joins the threads.
    void stop();

    std::vector<std::string> listening() const;  // "127.0.0.1:2525", ...
    const ServerCounters& counters() const { return context_.counters; }
    // A reload: warns about bindings that need a restart.
    void rules_changed(const policy::Ruleset& rules);

private:
    asio::awaitable<void> accept_loop(asio::ip::tcp::acceptor& acceptor);

    // Declared before the io_context: destroying it destroys suspended sessions, which still use
    // the shared context and the TLS context.
    ServerContext context_;
    std::unique_ptr<asio::ssl::context> tls_;
    asio::thread_pool blocking_pool_{1};
    asio::io_context io_;
    std::vector<std::unique_ptr<asio::ip::tcp::acceptor>> acceptors_;
    std::vector<std::string> bound_;
    std::vector<std::thread> threads_;
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
    unsigned thread_count_ = 1;
    bool stopped_ = false;
};

}  // namespace mw::smtp::server
