// The milter front door (libmilter): Postfix `smtpd_milters` / Sendmail `INPUT_MAIL_FILTER`.
//
// A thin adapter (docs/design.md): macros and callbacks become policy facts, engine decisions become
// smfi_* calls. No policy logic lives here. Everything the adapter needs from the daemon comes in
// through MilterHooks, so milter/ does not depend on daemon/.
//
// libmilter owns the accept loop and also waits for SIGHUP/SIGTERM/SIGINT (for it, HUP means stop);
// `serve` takes those signals on its main thread to drain first (daemon/serve_command.cpp). Reload
// comes from the control socket and the rule watcher, never from SIGHUP. libmilter is a
// process-wide singleton: one milter per process.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "policy/facts.hpp"
#include "policy/ruleset.hpp"

namespace mw::milter {

// The four values that name one SMTP connection in both the milter and the Postfix policy
// service: {client_addr} {client_port} {daemon_addr} {daemon_port}.
struct ConnectionKey {
    std::string client_address;
    std::string client_port;
    std::string server_address;
    std::string server_port;
};

struct MilterCounters {
    std::atomic<std::uint64_t> sessions_total{0};
    std::atomic<std::int64_t> sessions_active{0};
    std::atomic<std::uint64_t> mail_accepted{0}, mail_refused{0};
    std::atomic<std::uint64_t> rcpt_accepted{0}, rcpt_refused{0};
    std::atomic<std::uint64_t> messages_accepted{0}, messages_refused{0}, messages_discarded{0},
        messages_quarantined{0};
    std::atomic<std::uint64_t> internal_errors{0};
};

struct MilterHooks {
    // The current rules; a session pins the snapshot it started with.
    std::function<std::shared_ptr<const policy::Ruleset>()> snapshot;
    // Postfix mode, at RCPT: adds what only the policy service learnt about this connection (the
    // client certificate's fingerprint, for Direct Trust). May leave the facts unchanged.
    std::function<void(const ConnectionKey&, policy::SessionFacts&)> enrich_at_rcpt;
    // The connection ended (xxfi_close): per-connection state elsewhere can go.
    std::function<void(const ConnectionKey&)> connection_closed;
    // One log line per decision (Postfix style, see milter/milter_log.hpp).
    std::function<void(std::string_view)> log;
};

struct MilterOptions {
    std::string listen;     // libmilter connection spec: "unix:/path" or "inet:PORT@ADDR"
    int timeout_seconds = 300;
    int backlog = 128;
};

// Registers the filter and opens the listening socket (call before dropping privileges). Returns
// an error text, or "" on success.
std::string milter_open(const MilterOptions& options, MilterHooks hooks, MilterCounters& counters);
// Runs libmilter's accept loop until milter_stop() (or a stop signal libmilter takes itself).
// Returns libmilter's status (MI_SUCCESS = 0).
int milter_run();
// Graceful stop, first half: sessions already open go on; new ones are answered with tempfail (the
// MTA applies its 4xx, as when the milter is down). libmilter itself cannot drain: once told to
// stop, its worker pool abandons open sessions, so milter_stop() comes only after the drain.
void milter_drain();
void milter_stop();

}  // namespace mw::milter
