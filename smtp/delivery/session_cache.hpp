// SMTP sessions kept open after a delivered transaction, for the next message to the same server
// under the same policy (Postfix's connection cache): no new TCP connection, greeting, EHLO, TLS
// handshake or login for it. A kept session carries at most `[delivery] max_messages_per_connection`
// messages, is closed after `idle_limit` without use, and is checked with RSET before reuse.
//
// One cache per delivery lane: a session belongs to the event loop it was opened on.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "policy/route.hpp"
#include "smtp/delivery/client_session.hpp"
#include "smtp/delivery/connection_limits.hpp"
#include "smtp/delivery/next_hop_resolution.hpp"

namespace mw::smtp::delivery {

// What a session was opened for; a transaction may use it only when all of it is the same.
struct SessionKey {
    DeliveryTarget target;
    policy::OutboundTls tls;
    std::string next_hop_domain;  // the names its certificate was checked against
    std::string send_connector;
    std::string login;            // user and password of its AUTH; "" without: a session logged
                                  // in with other credentials is another session
    bool operator==(const SessionKey&) const = default;
};

// An open session and everything it refers to, at a stable address.
struct OpenSession {
    OpenSession(asio::any_io_executor executor, std::string peer, ConnectionSlot place)
        : slot(std::move(place)), connection(executor, std::move(peer)) {}
    OpenSession(const OpenSession&) = delete;
    OpenSession& operator=(const OpenSession&) = delete;

    // First, so it is released last: after the socket closed, or a waiting delivery could open
    // another connection while the peer still counts this one.
    ConnectionSlot slot;
    SessionKey key;
    ClientConnection connection;
    StartTlsPlan plan;                    // options.starttls points here
    std::optional<ClientLogin> login;     // options.login points here
    ClientOptions options;
    std::optional<ClientSession> session;
    std::string destination;              // the ConnectionLimits key
    std::size_t messages = 0;             // transactions carried
    std::chrono::steady_clock::time_point idle_since{};
};

class SessionCache {
public:
    using Clock = std::chrono::steady_clock;
    SessionCache(std::size_t capacity, std::chrono::milliseconds idle_limit)
        : capacity_(capacity), idle_limit_(idle_limit) {}

    // A kept session for one of `targets` (in their order) opened with the same key otherwise;
    // null when none. The session is the caller's from then on.
    std::unique_ptr<OpenSession> take(const std::vector<DeliveryTarget>& targets, const SessionKey& like);
    // Keeps a session whose transaction ended cleanly; the oldest one goes when full.
    void put(std::unique_ptr<OpenSession> session, Clock::time_point now);
    // Closes sessions idle longer than the limit; how many.
    std::size_t expire(Clock::time_point now);
    // Closes one kept session to `destination` ("": any), to free its slot; false when none.
    bool evict(const std::string& destination);
    bool holds(const std::string& destination) const;
    std::size_t size() const { return sessions_.size(); }

private:
    std::size_t capacity_;
    std::chrono::milliseconds idle_limit_;
    std::vector<std::unique_ptr<OpenSession>> sessions_;  // oldest first
};

}  // namespace mw::smtp::delivery
