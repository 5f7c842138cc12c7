// One transaction's way out: the addresses of its destination tried in order, each with the
// STARTTLS plan of the route, until one server takes the transaction (Postfix's smtp_connect.c
// loop), or a session kept open from an earlier transaction to one of them (session_cache.hpp).
// Each new connection takes a slot of the connection limits first (connection_limits.hpp). A
// server that cannot be reached, does not greet, refuses EHLO or fails the route's TLS
// policy before MAIL is passed over for the next one; once MAIL was sent, its replies are final
// for this attempt. An opportunistic route whose handshake failed tries the same server once
// more in plaintext (as Postfix at `may`).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "certs/peer_identity.hpp"
#include "policy/route.hpp"
#include "smtp/asio.hpp"
#include "smtp/delivery/client_session.hpp"
#include "smtp/delivery/connection_limits.hpp"
#include "smtp/delivery/next_hop_resolution.hpp"
#include "smtp/delivery/session_cache.hpp"

namespace mw::smtp::delivery {

// Addresses that refused or timed out a connection lately, skipped for a while so one dead MX
// does not cost every message its connect timeout. Shared by concurrent deliveries: thread-safe.
class DeadAddresses {
public:
    using Clock = std::chrono::steady_clock;
    explicit DeadAddresses(std::chrono::seconds memory) : memory_(memory) {}
    bool dead(const DeliveryTarget& target, Clock::time_point now) const;
    void mark(const DeliveryTarget& target, Clock::time_point now);
    void clear(const DeliveryTarget& target);
    void clear_all();

private:
    static std::string key(const DeliveryTarget& t) { return t.address + "/" + std::to_string(t.port); }
    std::chrono::seconds memory_;
    mutable std::mutex mutex_;
    std::map<std::string, Clock::time_point> until_;
};

// What the courier owns and every attempt uses.
struct AttemptEnvironment {
    ClientOptions client;                          // SMTP, EHLO name, timeouts
    asio::ssl::context* tls = nullptr;             // STARTTLS without a certificate of ours
    asio::ssl::context* tls_with_cert = nullptr;   // presenting our certificate; null: none loaded
    X509_STORE* system_anchors = nullptr;          // for the certificate-validation levels
    certs::TrustAnchors* domain_security_anchors = nullptr;
    DeadAddresses* dead = nullptr;
    ConnectionLimits* limits = nullptr;            // null: no limits
    std::size_t max_messages_per_connection = 1;   // 1: no session is kept for reuse
    // Closes a kept session to the destination ("" any) on a lane not in use, to free its slot.
    std::function<bool(const std::string& destination)> evict_idle;
    std::function<void(const std::string&)> log;
};

struct AttemptRequest {
    std::string queue_id;
    const policy::Route* route = nullptr;
    const policy::Ruleset* rules = nullptr;
    std::string next_hop_domain;           // the recipient domain, or the smart host's name
    std::vector<DeliveryTarget> targets;   // in the order to try
    const ClientLogin* login = nullptr;    // the send connector's smart-host login
    std::string destination;               // the route's next hop: the connection limits' key
    SessionCache* cache = nullptr;         // the lane's kept sessions; null: none
    ClientTransaction transaction;
};

// One outcome per recipient of the transaction, each naming the server that answered (relay,
// remote_mta) when one did.
asio::awaitable<std::vector<DeliveryOutcome>> attempt_delivery(const AttemptEnvironment& env, AttemptRequest request);

}  // namespace mw::smtp::delivery
