// The SMTP courier (README "Outbound delivery"): mail for other domains, sent to the MX hosts of
// the recipient domain or to a send connector's smart host, under the outbound TLS policy of the
// route (policy/route.hpp), with the rules in force at the attempt.
//
// Per message: the recipients are grouped by route (same next hop, same TLS policy), at most
// `recipient_limit` per transaction. Per group: the next hop is resolved (next_hop_resolution.hpp)
// and its addresses are tried in order (smtp_attempt.hpp) until one takes the transaction.
//
// What never happens: mail sent in clear or to an unverified server when the route requires TLS
// (the recipients wait with 4.7.5 and the reason, until queue_lifetime bounces them); a password
// sent before TLS; a bounce because our own resolver failed.
//
// Threads: deliver() may be called by several of the delivery agent's workers at once; each call
// runs on a "lane" of its own (an io_context, a resolver and the sessions it keeps open for
// reuse), at most `concurrency` at a time. A delivery takes the idle lane that keeps a session to
// its destination, when one does.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "smtp/asio.hpp"
#include "smtp/delivery/courier.hpp"
#include "smtp/dns/resolver.hpp"

namespace mw::smtp::delivery {

struct SmtpCourierConfig {
    std::string helo_name = "localhost";  // [organization] hostname: EHLO, and "an MX that is us"
    dns::ResolverConfig dns;
    // Our certificate for servers that ask for one (Domain Security's mutual TLS): the STARTTLS
    // identity of [smtp]. Empty, or files that do not load: none (a route that needs it waits).
    std::filesystem::path client_cert;
    std::filesystem::path client_key;
    std::chrono::milliseconds connect_timeout{30'000};
    std::chrono::milliseconds command_timeout{600'000};  // [delivery] timeout: any reply, any write
    std::chrono::milliseconds dns_timeout{30'000};       // each DNS lookup
    std::size_t recipient_limit = 50;                    // recipients per transaction
    std::size_t concurrency = 8;                         // deliveries at once (the agent's workers)
    std::size_t max_connections = 1000;                  // open to other servers, kept ones included
    std::size_t max_connections_per_domain = 100;        // to one destination (connection_limits.hpp)
    std::size_t initial_connections_per_domain = 5;      // slow start's first window
    std::size_t max_messages_per_connection = 100;       // transactions per connection; 1: none kept
    std::size_t kept_sessions_per_lane = 4;              // kept-open sessions each lane holds
    std::chrono::milliseconds session_idle_limit{2'000}; // a kept session unused this long is closed
    std::size_t address_limit = 5;                       // addresses tried per destination and attempt
    std::chrono::seconds dead_address_time{60};          // an address that refused a connection is
                                                         // skipped this long
    // Smart-host passwords by password_file (as the rules name it), read at start: the daemon may
    // no longer be able to read them once it runs unprivileged.
    std::map<std::string, std::string> passwords;
};

// The first line of each `auth` password file of the rules' send connectors. Files that cannot be
// read are left out, with a warning through `log`.
std::map<std::string, std::string> read_smart_host_passwords(const policy::Ruleset& rules,
                                                             const std::function<void(const std::string&)>& log);

class SmtpCourier final : public Courier {
public:
    using LogFunction = std::function<void(const std::string& line)>;

    SmtpCourier(SmtpCourierConfig config, LogFunction log);
    ~SmtpCourier() override;

    std::vector<DeliveryOutcome> deliver(const CourierMessage& message,
                                         const std::vector<CourierRecipient>& recipients) override;
    void tick() override;  // closes kept sessions that idled too long
    void forget_failures() override;
    std::string relay_name() const override { return "smtp"; }
    bool remote_replies() const override { return true; }

private:
    struct State;
    std::unique_ptr<State> state_;
};

}  // namespace mw::smtp::delivery
