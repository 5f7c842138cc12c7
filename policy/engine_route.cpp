// Send-connector routing (docs/design.md decision 4: address space, then cost, as Exchange) and
// the outbound TLS policy in Postfix smtp_tls_policy_maps form (README "Send connectors").
// RCPT, explain, the Postfix socketmap (postfix_maps.cpp) and the loader's smart-host check all
// route through here, so they can never disagree about which connector carries a domain.
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

using Strength = detail::OutboundPolicy::Strength;

// The names a `secure` policy matches for mail to `domain`. For "*.P" the recipient domain is some
// subdomain of P that is unknown here, so Postfix's own keywords stand for it: "nexthop" is the
// domain the lookup was made for, "dot-nexthop" any name under it.
struct MatchNames {
    std::string exact;
    std::string with_subdomains;
};

MatchNames match_names(std::string_view domain) {
    if (domain.starts_with("*.")) return {"nexthop", "nexthop:dot-nexthop"};
    std::string d(domain);
    return {d, d + ":." + d};
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

}  // namespace

namespace detail {

OutboundPolicy connector_tls_policy(const SendConnector& c, std::string_view match_name) {
    switch (c.tls) {
        case OutboundTls::none: return {"none", Strength::none};
        case OutboundTls::opportunistic: return {"may", Strength::may};
        case OutboundTls::encryption_only: return {"encrypt", Strength::encrypt};
        case OutboundTls::certificate_validation: return {"verify", Strength::verify};
        case OutboundTls::domain_validation:
            return {"secure match=" + (c.tls_domain.empty() ? std::string(match_name) : c.tls_domain), Strength::secure};
        // DNSSEC-authenticated and never sent in the clear: as strong as secure.
        case OutboundTls::dane: return {"dane-only", Strength::secure};
    }
    return {"may", Strength::may};
}

OutboundPolicy domain_tls_policy(const Ruleset& rules, const SendConnector* connector, std::string_view domain,
                                 Trace* trace) {
    const MatchNames names = match_names(domain);
    OutboundPolicy p;
    if (connector) {
        p = connector_tls_policy(*connector, names.exact);
        note(trace, "send connector " + connector->name + ": tls " + to_string(connector->tls) + " -> " + p.text);
    } else {
        // Postfix's own routing (relayhost or MX) or a domain delivered here: only the domain's own
        // requirements speak, and with none Postfix keeps its global default.
        note(trace, "no send connector routes " + std::string(domain) + ": its own requirements alone");
    }
    // `replace_equal`: Domain Security names the partner's domain even where the connector already
    // verifies a smart host's name, so it replaces a policy of equal strength.
    auto raise = [&](OutboundPolicy next, const std::string& why, bool replace_equal = false) {
        if (next.strength < p.strength || (next.strength == p.strength && !replace_equal)) {
            note(trace, why + ": " + p.text + " already meets " + next.text);
            return;
        }
        note(trace, why + ": " + (p.text.empty() ? "no policy" : p.text) + " -> " + next.text);
        p = std::move(next);
    };
    const TlsRequired* strongest = nullptr;
    for (const auto& t : rules.tls_required)
        if (t.send && t.domain.matches(domain) && (!strongest || t.level > strongest->level)) strongest = &t;
    if (strongest) {
        std::string why = "tls_required " + strongest->domain.str();
        switch (strongest->level) {
            case TlsLevel::encrypt: raise({"encrypt", Strength::encrypt}, why + " level encrypt"); break;
            case TlsLevel::verify: raise({"verify", Strength::verify}, why + " level verify"); break;
            case TlsLevel::domain:
                raise({"secure match=" + names.exact, Strength::secure}, why + " level domain");
                break;
        }
    }
    if (rules.domain_security) {
        const auto& ds = *rules.domain_security;
        // Domain Security: mutual TLS and the partner's certificate must name its domain or a host in it.
        for (const auto& s : ds.send) {
            if (!s.matches(domain)) continue;
            raise({"secure match=" + names.with_subdomains, Strength::secure}, "domain security send " + s.str(), true);
            break;
        }
        // Pins name one exact domain; "*.P" never equals one.
        for (const auto& pin : ds.direct_trust) {
            if (pin.domain != domain) continue;
            raise({"fingerprint match=" + with_colons(pin.sha256), Strength::fingerprint}, "direct trust " + pin.domain);
            break;
        }
    }
    return p;
}

const SendConnector* routing_connector(const Ruleset& rules, std::string_view domain, Trace* trace) {
    const std::string d(domain);
    if (const AcceptedDomain* ad = find_accepted_domain(rules, domain); ad && ad->type == DomainType::authoritative) {
        note(trace, d + " is authoritative (" + ad->domain.str() + "): delivered here, no send connector");
        return nullptr;
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
        note(trace, "no send connector's address space covers " + d);
        return nullptr;
    }
    if (trace) {
        for (const auto& c : rules.send_connectors) {
            if (&c == winner) continue;
            if (int spec = best_specificity(c, domain); spec >= 0)
                note(trace, "send connector " + c.name + ": covers " + d + " (cost " + std::to_string(c.cost) +
                                "), less specific or more expensive");
        }
    }
    return winner;
}

std::optional<Route> route_impl(const Ruleset& rules, const Address& recipient, Trace* trace) {
    const std::string& domain = recipient.domain;
    const SendConnector* winner = routing_connector(rules, domain, trace);
    if (!winner) return std::nullopt;
    Route route;
    route.send_connector = winner->name;
    route.smart_host = !winner->smart_hosts.empty();
    route.nexthop = route.smart_host ? winner->smart_hosts.front().str() : domain;
    note(trace, "send connector " + winner->name + " routes " + domain + " (cost " + std::to_string(winner->cost) +
                    ") via " + (route.smart_host ? "smart host " + route.nexthop : "MX of " + domain));
    // Raised by the recipient domain even through a smart host: standalone delivery knows the
    // domain. Postfix does not (it asks for the smart host), hence the loader's smart-host check.
    route.tls_policy = domain_tls_policy(rules, winner, domain, trace).text;
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
