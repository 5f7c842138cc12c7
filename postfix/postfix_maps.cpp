// transport_maps and smtp_tls_policy_maps answers (postfix_maps.hpp). Routing and TLS policies come
// from engine_route.cpp, so Postfix is told exactly what `explain` shows and RCPT decides.
#include "postfix/postfix_maps.hpp"

#include <algorithm>

#include "policy/engine_internal.hpp"

namespace mw::postfix {

using namespace mw::policy;

namespace {

using detail::OutboundPolicy;

MapAnswer found(std::string data) { return {MapAnswer::Status::ok, std::move(data)}; }

MapAnswer not_found() { return {}; }

// Called inside a catch block of a noexcept function: the reason is kept within libstdc++'s
// 15-byte small-string buffer, so building the answer allocates nothing and cannot throw again.
MapAnswer internal_error() { return {MapAnswer::Status::temp, "internal error"}; }

MapAnswer from_policy(OutboundPolicy p) { return p.text.empty() ? not_found() : found(std::move(p.text)); }

OutboundPolicy stronger(OutboundPolicy a, OutboundPolicy b) { return b.strength > a.strength ? b : a; }

// What Postfix applies when it delivers straight to `domain`'s MX (or, for "*.P", to a subdomain
// of P). A connector that routes the domain through smart hosts has no say here: Postfix looks its
// policy up under the smart host's key, and reaches this one only on some other route.
OutboundPolicy mx_policy(const Ruleset& rules, std::string_view domain) {
    const SendConnector* c = detail::routing_connector(rules, domain, nullptr);
    if (c && !c->smart_hosts.empty()) c = nullptr;
    return detail::domain_tls_policy(rules, c, domain, nullptr);
}

// The strongest policy among the connectors listing `host`; on equal strength, file order. The
// recipient domain is unknown under a smart-host key, so domain-validation without tls_domain
// matches Postfix's "nexthop": the smart host's own name.
OutboundPolicy smart_host_policy(const Ruleset& rules, const SmartHost& host) {
    OutboundPolicy best;
    for (const SendConnector& c : rules.send_connectors) {
        if (std::find(c.smart_hosts.begin(), c.smart_hosts.end(), host) == c.smart_hosts.end()) continue;
        best = stronger(std::move(best), detail::connector_tls_policy(c, "nexthop"));
    }
    return best;
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
        return from_policy(mx_policy(rules, "*." + *p));
    }
    if (key.front() == '[' || key.find(':') != std::string_view::npos) {
        auto host = parse_smart_host(key);
        return host ? from_policy(smart_host_policy(rules, *host)) : not_found();
    }
    // A bare name is a recipient domain, or a smart host written without brackets and port.
    auto domain = normalize_domain(key);
    if (!domain) return not_found();
    OutboundPolicy policy = mx_policy(rules, *domain);
    if (auto host = parse_smart_host(key)) policy = stronger(std::move(policy), smart_host_policy(rules, *host));
    return from_policy(std::move(policy));
}

MapAnswer transport_impl(const Ruleset& rules, std::string_view key) {
    // "*" is Postfix's catch-all, cached for every address: answering it would override all
    // routing, our authoritative domains included.
    if (key == "*") return not_found();
    auto parsed = parse_address(key);
    if (!parsed.address || parsed.address->null) return not_found();
    auto route = detail::route_impl(rules, *parsed.address, nullptr);
    if (!route) return not_found();
    // "smtp:" with an empty next hop is the recipient domain's MX, overriding relayhost.
    return found("smtp:" + (route->smart_host ? route->nexthop : std::string()));
}

}  // namespace

const char* to_string(MapAnswer::Status s) {
    switch (s) {
        case MapAnswer::Status::ok: return "OK";
        case MapAnswer::Status::notfound: return "NOTFOUND";
        case MapAnswer::Status::temp: return "TEMP";
        case MapAnswer::Status::perm: return "PERM";
    }
    return "PERM";
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
