// What every standalone SMTP session shares: the rules, the queue, the users file, the TLS context,
// the log, the connection counters. Owned by SmtpServer; sessions hold a reference.
#pragma once

#include <openssl/ssl.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "certs/peer_identity.hpp"
#include "policy/ip.hpp"
#include "policy/ruleset.hpp"
#include "smtp/asio.hpp"
#include "smtp/dns/resolver.hpp"
#include "smtp/queue/queue.hpp"
#include "smtp/server/users_file.hpp"

namespace mw::smtp::server {

struct ServerHooks {
    std::function<std::shared_ptr<const policy::Ruleset>()> snapshot;  // the rules in force
    std::function<void(std::string_view)> log;                         // one line per event
    std::function<void()> queued;                                      // a message became durable
    // Asked at RCPT for a recipient delivered here: the local courier's refusal before DATA (Maildir:
    // 550 5.1.3 for a local part that cannot name a mailbox), or nothing. Empty, or a courier that
    // leaves it to its server (LMTP): nothing is refused in advance.
    std::function<std::optional<SmtpReply>(const Address&)> check_local_recipient;
    // ETRN (README "ETRN"): deliver the queued mail for `domain` (and its subdomains) now, held mail
    // included; the number of messages scheduled. Called on the blocking pool. Empty: 458.
    std::function<Result<std::size_t>(const std::string& domain, bool subdomains)> etrn;
};

struct ServerCounters {
    std::atomic<std::uint64_t> sessions_active{0};
    std::atomic<std::uint64_t> sessions_total{0};
    std::atomic<std::uint64_t> messages_queued{0};
    std::atomic<std::uint64_t> messages_refused{0};
    std::atomic<std::uint64_t> connections_refused{0};
};

// Connections per receive connector, total and per client address (max_connections,
// max_connections_per_source). A slot is held for the session's life.
class ConnectionSlots {
public:
    class Slot {
    public:
        Slot() = default;
        Slot(ConnectionSlots* owner, std::string connector, IpAddress client)
            : owner_(owner), connector_(std::move(connector)), client_(client) {}
        Slot(Slot&& o) noexcept : owner_(std::exchange(o.owner_, nullptr)), connector_(std::move(o.connector_)), client_(o.client_) {}
        Slot& operator=(Slot&&) = delete;
        ~Slot() { if (owner_) owner_->release(connector_, client_); }

    private:
        ConnectionSlots* owner_ = nullptr;
        std::string connector_;
        IpAddress client_;
    };
    enum class Refusal { none, total, per_source };
    // Takes a slot unless the connector is full; `refusal` says which limit refused.
    std::optional<Slot> acquire(const policy::ReceiveConnector& c, const IpAddress& client, Refusal& refusal);

private:
    void release(const std::string& connector, const IpAddress& client);
    std::mutex mutex_;
    std::map<std::string, std::uint32_t> total_;
    std::map<std::pair<std::string, IpAddress>, std::uint32_t> per_source_;
};

// The sessions alive, so that a stop reaches each one (SmtpServer::stop): a session registers a
// notification that posts to its own strand, and stays registered for its life.
class SessionRegistry {
public:
    using Notify = std::function<void()>;
    class Entry {
    public:
        Entry(SessionRegistry* owner, std::list<Notify>::iterator it) : owner_(owner), it_(it) {}
        Entry(Entry&& o) noexcept : owner_(std::exchange(o.owner_, nullptr)), it_(o.it_) {}
        Entry& operator=(Entry&&) = delete;
        ~Entry() { if (owner_) owner_->remove(it_); }

    private:
        SessionRegistry* owner_;
        std::list<Notify>::iterator it_;
    };
    // Registers a session's stop notification; once a stop has begun, it is also called at once (a
    // session accepted just before the listeners closed is told like the others).
    Entry add(Notify notify);
    // Calls every notification, from the stopping thread.
    void stop_all();
    // Waits until every session has ended, or until `deadline`; returns how many are left.
    std::size_t wait_empty(std::chrono::steady_clock::time_point deadline);

private:
    void remove(std::list<Notify>::iterator it);
    std::mutex mutex_;
    std::condition_variable emptied_;
    std::list<Notify> sessions_;
    bool stopping_ = false;
};

struct ServerContext {
    ServerHooks hooks;
    queue::Queue* queue = nullptr;
    asio::ssl::context* tls = nullptr;           // null: no STARTTLS (no certificate configured)
    std::shared_ptr<const UsersFile> users;      // null: AUTH is never offered
    certs::TrustAnchors trust_anchors;
    asio::thread_pool* blocking_pool = nullptr;  // password hashing runs here, not on the I/O threads
    std::shared_ptr<dns::Resolver> resolver;     // reverse DNS of clients; null: every client is "unknown"
    unsigned max_hops = 50;                      // ServerOptions::max_hops
    ServerCounters counters;
    ConnectionSlots slots;
    SessionRegistry sessions;
    void log(std::string_view line) const { if (hooks.log) hooks.log(line); }
};

}  // namespace mw::smtp::server
