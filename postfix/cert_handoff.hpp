// The Direct Trust hand-off from the Postfix policy service to the milter (README "The order
// of the checks at MAIL": in Postfix mode a pin is only known at RCPT).
//
// Postfix hands milters no certificate fingerprint, and `{cert_subject}` only for certificates it
// verified, so a self-signed partner pinned by Direct Trust is invisible to the milter. The policy
// service sees `ccert_fingerprint` for every client certificate, trusted or not. Postfix consults
// it at each RCPT *before* the milter's RCPT event, in the same process (smtpd), so the service
// records what it learnt under the connection's four addresses and ports, and the milter session,
// which knows `{client_addr} {client_port} {daemon_addr} {daemon_port}`, takes it from there.
//
// Why the four values are a safe key: two live TCP connections never share them, and because the
// service records again at every RCPT before the milter reads, an entry left by an earlier
// connection that reused the same ports is overwritten before it could be read. The shipped
// configuration consults the service first in smtpd_relay_restrictions, so every RCPT the milter
// sees was preceded by a record (an unreachable service fails the RCPT with Postfix's
// smtpd_policy_service_default_action before the milter hears of it); the milter also forgets
// its entry when the connection closes.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "policy/facts.hpp"
#include "policy/ip.hpp"

namespace mw::postfix {

// Addresses are parsed, so every spelling of one address is one key: IPv4-mapped "::ffff:a.b.c.d"
// and "a.b.c.d" (parse_ip treats both as IPv4), "[2001:db8::1]", "IPv6:2001:db8::1" and Postfix's
// bare "2001:db8::1" (the policy protocol writes IPv6 without brackets, milter macros may not).
struct ConnectionKey {
    IpAddress client_address;
    std::uint16_t client_port = 0;
    IpAddress server_address;
    std::uint16_t server_port = 0;
    bool operator==(const ConnectionKey&) const = default;
};

// A port as the MTAs write it: decimal, 0-65535, no sign or spaces.
std::optional<std::uint16_t> parse_port(std::string_view text);

// From the texts the MTA sent (policy attributes client_address, client_port, server_address,
// server_port; or the milter's {client_addr}, {client_port}, {daemon_addr}, {daemon_port}).
// nullopt unless all four parse: a partial key could match another connection.
std::optional<ConnectionKey> make_connection_key(std::string_view client_address, std::string_view client_port,
                                                 std::string_view server_address, std::string_view server_port);

// What the policy service learnt about the connection's TLS. "No TLS" and "TLS without a client
// certificate" are facts too: they are recorded, so the milter can tell them from "never heard".
struct Handoff {
    bool tls = false;
    bool certificate = false;           // the client presented a certificate (trusted or not)
    // 64 upper-case hex digits, no colons (PeerCertificate::sha256). Absent without a certificate,
    // or when Postfix's fingerprint is not SHA-256 (smtpd_tls_fingerprint_digest is not sha256).
    std::optional<std::string> sha256;
    std::chrono::steady_clock::time_point recorded{};
};

// The hand-off the facts of a policy request describe (facts.tls and its certificate).
Handoff handoff_from(const policy::SessionFacts& facts, std::chrono::steady_clock::time_point now);

// Thread-safe: the policy service's connections record, the milter's sessions read, concurrently.
// Entries expire after `ttl` (the milter reads within the same RCPT command, so anything older is
// left over from a closed connection) and at most `capacity` are kept, the oldest recorded
// evicted first, so that a flood of connections cannot grow memory without bound.
class CertHandoff {
public:
    using Clock = std::chrono::steady_clock;
    static constexpr std::size_t default_capacity = 100'000;
    static constexpr std::chrono::seconds default_ttl{600};

    explicit CertHandoff(std::size_t capacity = default_capacity, Clock::duration ttl = default_ttl);

    // Stores (or replaces) the entry for `key`; `handoff.recorded` is its time. Recording again
    // makes the entry the newest.
    void record(const ConnectionKey& key, Handoff handoff);
    // The entry for `key` unless it is older than the ttl at `now` (then it is dropped). Reading
    // does not consume: every RCPT of the session reads it.
    std::optional<Handoff> find(const ConnectionKey& key, Clock::time_point now);
    // The milter session closed: its entry is no longer needed.
    void forget(const ConnectionKey& key);
    std::size_t size() const;

private:
    struct KeyHash {
        std::size_t operator()(const ConnectionKey& k) const noexcept;
    };
    struct Entry {
        ConnectionKey key;
        Handoff handoff;
    };
    using Order = std::list<Entry>;  // oldest recorded first

    void drop_expired_front(Clock::time_point now);  // callers hold mutex_

    const std::size_t capacity_;
    const Clock::duration ttl_;
    mutable std::mutex mutex_;
    Order order_;
    std::unordered_map<ConnectionKey, Order::iterator, KeyHash> index_;
};

// For the milter at RCPT (Postfix mode): puts what the policy service learnt into the facts built
// from the milter's macros. The hand-off is the authority on the fingerprint, because Postfix
// gives milters none:
// - facts without TLS stay as they are (the milter's own view; a pin then fails closed);
// - a fingerprint becomes facts.tls->cert->sha256; when the milter knew no certificate (Postfix
//   sends `{cert_subject}` only for verified ones) an unverified certificate with just the
//   fingerprint is created, which is exactly what a self-signed Direct Trust partner is;
// - no fingerprint (no certificate, or not SHA-256) clears any sha256 the facts held.
// Without a hand-off (find() gave nullopt) the caller leaves the facts alone: no fingerprint is
// known, and a pinned domain fails its check.
void apply_handoff(policy::SessionFacts& facts, const Handoff& handoff);

}  // namespace mw::postfix
