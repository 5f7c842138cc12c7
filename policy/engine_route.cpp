// Send-connector routing (DESIGN.md "Most specific wins": address space, then cost, as Exchange) and
// the outbound TLS policy in Postfix smtp_tls_policy_maps form (RULES.md send_connector comments).
#include <algorithm>

#include "policy/engine_internal.hpp"

namespace mw::policy {

namespace {

// How specific an address space is for a domain: -1 no match, 0 "*", 1 + parent labels for
// "*.parent" (a deeper parent is more specific), and above every wildcard for the exact domain.
constexpr int exact_specificity = 1000;

int label_count(std::string_view d) { return static_cast<int>(std::count(d.begin(), d.end(), '.')) + 1; }

int specificity(const AddressSpace& space, std::string_view domain) {
    if (space.all) return 0;
    if (!space.domain.matches(domain)) return -1;
    return space.domain.subdomains ? 1 + label_count(space.domain.domain) : exact_specificity;
}

int best_specificity(const SendConnector& c, std::string_view domain) {
    int best = -1;
    for (const auto& s : c.address_spaces) best = std::max(best, specificity(s, domain));
    return best;
}

// Strength of a policy, to "raise" it and never lower it.
enum Strength { none = 0, may = 1, encrypt = 2, verify = 3, secure = 4, fingerprint = 5 };

struct Policy {
    std::string text;
    int strength = none;
};

Policy from_connector(const SendConnector& c, std::string_view domain) {
    switch (c.tls) {
        case OutboundTls::none: return {"none", none};
        case OutboundTls::opportunistic: return {"may", may};
        case OutboundTls::encryption_only: return {"encrypt", encrypt};
        case OutboundTls::certificate_validation: return {"verify", verify};
        case OutboundTls::domain_validation:
            return {"secure match=" + (c.tls_domain.empty() ? std::string(domain) : c.tls_domain), secure};
        case OutboundTls::dane: return {"dane-only", secure};  // DNSSEC-authenticated: as strong as secure
    }
    return {"may", may};
}

std::string with_colons(const std::string& hex) {
    std::string out;
    for (std::size_t i = 0; i < hex.size(); ++i) {
        if (i && i % 2 == 0) out += ':';
        out += hex[i];
    }
    return out;
}

void note(Trace* trace, std::string line) {
    if (trace) trace->push_back(std::move(line));
}

std::string tls_policy(const Ruleset& rules, const SendConnector& c, const std::string& domain, Trace* trace) {
    Policy p = from_connector(c, domain);
    note(trace, "send connector " + c.name + ": tls " + to_string(c.tls) + " -> " + p.text);
    // `replace_equal`: Domain Security names the partner's domain even where the connector already
    // verifies a smart host's name, so it replaces a policy of equal strength.
    auto raise = [&](Policy next, const std::string& why, bool replace_equal = false) {
        if (next.strength < p.strength || (next.strength == p.strength && !replace_equal)) {
            note(trace, why + ": " + p.text + " already meets " + next.text);
            return;
        }
        note(trace, why + ": " + p.text + " -> " + next.text);
        p = std::move(next);
    };
    const TlsRequired* strongest = nullptr;
    for (const auto& t : rules.tls_required)
        if (t.send && t.domain.matches(domain) && (!strongest || t.level > strongest->level)) strongest = &t;
    if (strongest) {
        std::string why = "tls_required " + strongest->domain.str();
        switch (strongest->level) {
            case TlsLevel::encrypt: raise({"encrypt", encrypt}, why + " level encrypt"); break;
            case TlsLevel::verify: raise({"verify", verify}, why + " level verify"); break;
            case TlsLevel::domain: raise({"secure match=" + domain, secure}, why + " level domain"); break;
        }
    }
    if (rules.domain_security) {
        const auto& ds = *rules.domain_security;
        // Domain Security: mutual TLS and the partner's certificate must name its domain or a host in it.
        for (const auto& s : ds.send) {
            if (!s.matches(domain)) continue;
            raise({"secure match=" + domain + ":." + domain, secure}, "domain security send " + s.str(), true);
            break;
        }
        for (const auto& pin : ds.direct_trust) {
            if (pin.domain != domain) continue;
            raise({"fingerprint match=" + with_colons(pin.sha256), fingerprint}, "direct trust " + pin.domain);
            break;
        }
    }
    return p.text;
}

}  // namespace

namespace detail {

std::optional<Route> route_impl(const Ruleset& rules, const Address& recipient, Trace* trace) {
    const std::string& domain = recipient.domain;
    if (const AcceptedDomain* ad = find_accepted_domain(rules, domain); ad && ad->type == DomainType::authoritative) {
        note(trace, domain + " is authoritative (" + ad->domain.str() + "): delivered here, no send connector");
        return std::nullopt;
    }
    const SendConnector* winner = nullptr;
    int winner_spec = -1;
    for (const auto& c : rules.send_connectors) {
        int spec = best_specificity(c, domain);
        if (spec < 0) continue;
        // Most specific address space, then the lowest cost; ties keep file order.
        if (!winner || spec > winner_spec || (spec == winner_spec && c.cost < winner->cost)) {
            winner = &c;
            winner_spec = spec;
        }
    }
    if (!winner) {
        note(trace, "no send connector's address space covers " + domain);
        return std::nullopt;
    }
    for (const auto& c : rules.send_connectors) {
        if (&c == winner) continue;
        if (int spec = best_specificity(c, domain); spec >= 0)
            note(trace, "send connector " + c.name + ": covers " + domain + " (cost " + std::to_string(c.cost) +
                            "), less specific or more expensive");
    }
    Route route;
    route.send_connector = winner->name;
    route.nexthop = winner->smart_hosts.empty() ? domain : winner->smart_hosts.front().str();
    note(trace, "send connector " + winner->name + " routes " + domain + " (cost " + std::to_string(winner->cost) +
                    ") via " + (winner->smart_hosts.empty() ? "MX of " + domain : "smart host " + route.nexthop));
    route.tls_policy = tls_policy(rules, *winner, domain, trace);
    return route;
}

}  // namespace detail

std::optional<Route> route_recipient(const Ruleset& rules, const Address& recipient, Trace* trace) noexcept {
    try {
        return detail::route_impl(rules, recipient, trace);
    } catch (...) {
        // No route is the safe answer: the caller (or Postfix) defers rather than picks a connector.
        if (trace) detail::trace_internal_error(*trace, "routing");
        return std::nullopt;
    }
}

}  // namespace mw::policy
