#include "postfix/cert_handoff.hpp"

namespace mw::postfix {

std::optional<std::uint16_t> parse_port(std::string_view text) {
    if (text.empty() || text.size() > 5) return std::nullopt;
    unsigned value = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return std::nullopt;
        value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (value > 65535) return std::nullopt;
    return static_cast<std::uint16_t>(value);
}

std::optional<ConnectionKey> make_connection_key(std::string_view client_address, std::string_view client_port,
                                                 std::string_view server_address, std::string_view server_port) {
    auto ca = parse_ip(client_address);
    auto cp = parse_port(client_port);
    auto sa = parse_ip(server_address);
    auto sp = parse_port(server_port);
    if (!ca || !cp || !sa || !sp) return std::nullopt;
    return ConnectionKey{*ca, *cp, *sa, *sp};
}

Handoff handoff_from(const policy::SessionFacts& facts, std::chrono::steady_clock::time_point now) {
    Handoff h;
    h.recorded = now;
    h.tls = facts.tls.has_value();
    if (facts.tls && facts.tls->cert) {
        h.certificate = true;
        h.sha256 = facts.tls->cert->sha256;
    }
    return h;
}

std::size_t CertHandoff::KeyHash::operator()(const ConnectionKey& k) const noexcept {
    // FNV-1a over the bytes that make the key equal (parse_ip already folded IPv4-mapped addresses
    // into IPv4, and the v4 flag follows from the bytes).
    std::uint64_t h = 1469598103934665603ULL;
    auto mix = [&h](std::uint8_t b) {
        h ^= b;
        h *= 1099511628211ULL;
    };
    for (auto b : k.client_address.bytes) mix(b);
    mix(static_cast<std::uint8_t>(k.client_port >> 8));
    mix(static_cast<std::uint8_t>(k.client_port));
    for (auto b : k.server_address.bytes) mix(b);
    mix(static_cast<std::uint8_t>(k.server_port >> 8));
    mix(static_cast<std::uint8_t>(k.server_port));
    return static_cast<std::size_t>(h);
}

CertHandoff::CertHandoff(std::size_t capacity, Clock::duration ttl) : capacity_(capacity ? capacity : 1), ttl_(ttl) {}

void CertHandoff::drop_expired_front(Clock::time_point now) {
    // The list is in recording order, so the expired entries are at its front; those behind a
    // fresh one are dropped when read or when they reach the front.
    while (!order_.empty() && now - order_.front().handoff.recorded > ttl_) {
        index_.erase(order_.front().key);
        order_.pop_front();
    }
}

void CertHandoff::record(const ConnectionKey& key, Handoff handoff) {
    std::lock_guard lock(mutex_);
    drop_expired_front(handoff.recorded);  // before counting: expired entries are evicted first
    if (auto it = index_.find(key); it != index_.end()) {
        it->second->handoff = std::move(handoff);
        order_.splice(order_.end(), order_, it->second);  // the newest now; iterators stay valid
    } else {
        if (order_.size() >= capacity_) {
            index_.erase(order_.front().key);
            order_.pop_front();
        }
        order_.push_back(Entry{key, std::move(handoff)});
        index_.emplace(key, std::prev(order_.end()));
    }
}

std::optional<Handoff> CertHandoff::find(const ConnectionKey& key, Clock::time_point now) {
    std::lock_guard lock(mutex_);
    auto it = index_.find(key);
    if (it == index_.end()) return std::nullopt;
    if (now - it->second->handoff.recorded > ttl_) {
        order_.erase(it->second);
        index_.erase(it);
        return std::nullopt;
    }
    return it->second->handoff;
}

void CertHandoff::forget(const ConnectionKey& key) {
    std::lock_guard lock(mutex_);
    auto it = index_.find(key);
    if (it == index_.end()) return;
    order_.erase(it->second);
    index_.erase(it);
}

std::size_t CertHandoff::size() const {
    std::lock_guard lock(mutex_);
    return order_.size();
}

void apply_handoff(policy::SessionFacts& facts, const Handoff& handoff) {
    if (!facts.tls) return;
    if (handoff.sha256) {
        if (!facts.tls->cert) facts.tls->cert = policy::PeerCertificate{};  // unverified, fingerprint only
        facts.tls->cert->sha256 = handoff.sha256;
    } else if (facts.tls->cert) {
        facts.tls->cert->sha256.reset();
    }
}

}  // namespace mw::postfix
