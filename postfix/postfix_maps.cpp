// transport_maps and smtp_tls_policy_maps answers (postfix_maps.hpp). Routes and TLS policies come
// from the engine (policy/route.hpp), so Postfix is told exactly what `explain` shows and RCPT
// decides; this file only writes them in Postfix's words.
#include "postfix/postfix_maps.hpp"

#include <algorithm>

#include "core/enum_names.hpp"
#include "policy/engine.hpp"

namespace mw::postfix {

using namespace mw::policy;

namespace {

MapAnswer found(std::string data) { return {MapAnswer::Status::ok, std::move(data)}; }

MapAnswer not_found() { return {}; }

// Called inside a catch block of a noexcept function: the reason is kept within libstdc++'s
// 15-byte small-string buffer, so building the answer allocates nothing and cannot throw again.
MapAnswer internal_error() { return {MapAnswer::Status::temp, "internal error"}; }

MapAnswer from_policy(const std::optional<OutboundTls>& p) { return p ? found(tls_policy_text(*p)) : not_found(); }

std::optional<OutboundTls> stronger(std::optional<OutboundTls> a, std::optional<OutboundTls> b) {
    if (!b) return a;
    if (!a) return b;
    return strength(b->level) > strength(a->level) ? b : a;
}

MapAnswer tls_policy_impl(const Ruleset& rules, std::string_view key) {
    if (key.empty()) return not_found();
    if (key.front() == '.') {
        // Postfix's parent lookup: ".P" is some subdomain of P. A literal or a second leading dot
        // is no domain.
        std::string_view parent = key.substr(1);
        if (parent.empty() || parent.front() == '[' || parent.front() == '.') return not_found();
        auto p = normalize_domain(parent);
        if (!p) return not_found();
        return from_policy(mx_tls_policy(rules, "*." + *p));
    }
    if (key.front() == '[' || key.find(':') != std::string_view::npos) {
        auto host = parse_smart_host(key);
        if (!host) return not_found();
        std::optional<OutboundTls> policy = smart_host_tls_policy(rules, *host);
        // "example.net:2525" is also the MX route of a send connector with `port = 2525` (the
        // transport answer above): the domain's own policy applies then, or it would be lost.
        if (!host->bracketed) policy = stronger(std::move(policy), mx_tls_policy(rules, host->host));
        return from_policy(policy);
    }
    // A bare name is a recipient domain, or a smart host written without brackets and port.
    auto domain = normalize_domain(key);
    if (!domain) return not_found();
    std::optional<OutboundTls> policy = mx_tls_policy(rules, *domain);
    if (auto host = parse_smart_host(key)) policy = stronger(std::move(policy), smart_host_tls_policy(rules, *host));
    return from_policy(policy);
}

MapAnswer transport_impl(const Ruleset& rules, std::string_view key) {
    // "*" is Postfix's catch-all, cached for every address: answering it would override all
    // routing, our authoritative domains included.
    if (key == "*") return not_found();
    auto parsed = parse_address(key);
    if (!parsed.address || parsed.address->null) return not_found();
    auto route = find_route(rules, *parsed.address, nullptr);
    if (!route) return internal_error();
    if (!route.value()) return not_found();
    // "smtp:" with an empty next hop is the recipient domain's MX, overriding relayhost; off port
    // 25 the domain must be named ("smtp:example.com:2525" is still an MX lookup).
    const NextHop& hop = route.value()->nexthop;
    return found("smtp:" + (route.value()->smart_host() || hop.port != 25 ? hop.str() : std::string()));
}

std::string with_colons(const std::string& hex) {
    std::string out;
    for (std::size_t i = 0; i < hex.size(); ++i) {
        if (i && i % 2 == 0) out += ':';
        out += hex[i];
    }
    return out;
}

// A certificate name in a `secure match=` list: "nexthop" and "dot-nexthop" are Postfix's words for
// the domain the lookup was made for when the engine could not name it.
std::string match_name(const CertificateName& n) {
    if (n.domain.empty()) return n.subdomains ? "dot-nexthop" : "nexthop";
    return n.subdomains ? "." + n.domain : n.domain;
}

}  // namespace

std::string tls_policy_text(const OutboundTls& tls) {
    std::string out = to_string(tls.level);
    std::vector<std::string> items;
    if (tls.level == OutboundTls::Level::secure)
        for (const auto& n : tls.names) items.push_back(match_name(n));
    if (tls.level == OutboundTls::Level::fingerprint)
        for (const auto& pin : tls.pins) items.push_back(with_colons(pin));
    // secure separates names with ':', fingerprint its digests (which contain ':') with '|'.
    const char* separator = tls.level == OutboundTls::Level::fingerprint ? "|" : ":";
    for (std::size_t i = 0; i < items.size(); ++i) out += (i ? separator : " match=") + items[i];
    // [[tls_required]] floors. Postfix's "medium" grade (its default at mandatory levels) is 128 bits
    // and more; "high" is more than 128.
    if (tls.min_tls_version != TlsVersion::any) out += std::string(" protocols=>=") + to_string(tls.min_tls_version);
    if (tls.min_cipher_bits > 128) out += " ciphers=high";
    return out;
}

const char* to_string(MapAnswer::Status s) {
    static constexpr const char* names[] = {"OK", "NOTFOUND", "TEMP", "PERM"};
    return enum_name(s, names, "PERM");
}

MapAnswer lookup_transport(const Ruleset& rules, std::string_view key) noexcept {
    try {
        return transport_impl(rules, key);
    } catch (...) {
        return internal_error();
    }
}

MapAnswer lookup_tls_policy(const Ruleset& rules, std::string_view key) noexcept {
    try {
        return tls_policy_impl(rules, key);
    } catch (...) {
        return internal_error();
    }
}

}  // namespace mw::postfix
