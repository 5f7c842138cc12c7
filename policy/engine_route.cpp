// Send-connector routing (docs/design.md decision 4: address space, then cost, as Exchange) and the
// outbound TLS policy a delivery demands (README "Send connectors"), as typed values (route.hpp).
// RCPT, explain, the Postfix socketmap (postfix/postfix_maps.cpp) and the loader's smart-host check
// all route through here, so they can never disagree about which connector carries a domain.
#include <algorithm>

#include "core/enum_names.hpp"
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

using Level = OutboundTls::Level;

// The names a `secure` policy matches for mail to `domain`. For "*.P" the recipient domain is some
// subdomain of P that is unknown here: the next hop (an empty name) stands for it.
struct MatchNames {
    CertificateName exact;
    CertificateName under;
};

MatchNames match_names(std::string_view domain) {
    std::string d = domain.starts_with("*.") ? std::string() : std::string(domain);
    return {{d, false}, {d, true}};
}

OutboundTls secure(std::vector<CertificateName> names, bool client_certificate = false) {
    OutboundTls t;
    t.level = Level::secure;
    t.names = std::move(names);
    t.client_certificate = client_certificate;
    return t;
}

OutboundTls at_level(Level level) {
    OutboundTls t;
    t.level = level;
    return t;
}

void note(Trace* trace, std::string line) {
    if (trace) trace->push_back(std::move(line));
}

}  // namespace

namespace detail {

OutboundTls connector_tls_policy(const SendConnector& c, const CertificateName& match_name) {
    switch (c.tls) {
        case SendTls::none: return at_level(Level::none);
        case SendTls::opportunistic: return at_level(Level::may);
        case SendTls::encryption_only: return at_level(Level::encrypt);
        case SendTls::certificate_validation: return at_level(Level::verify);
        case SendTls::domain_validation:
            return secure({c.tls_domain.empty() ? match_name : CertificateName{c.tls_domain, false}});
        case SendTls::dane: return at_level(Level::dane_only);
    }
    return at_level(Level::may);
}

std::optional<OutboundTls> domain_tls_policy(const Ruleset& rules, const SendConnector* connector,
                                             std::string_view domain, Trace* trace, std::string* set_by) {
    const MatchNames names = match_names(domain);
    std::optional<OutboundTls> p;
    std::string decided_by;
    if (connector) {
        p = connector_tls_policy(*connector, names.exact);
        decided_by = "send connector " + connector->name;
        note(trace, "send connector " + connector->name + ": tls " + to_string(connector->tls) + " -> " + describe(*p));
    } else {
        // Postfix's own routing (relayhost or MX) or a domain delivered here: only the domain's own
        // requirements speak, and with none the MTA keeps its global default.
        note(trace, "no send connector routes " + std::string(domain) + ": its own requirements alone");
    }
    // `replace_equal`: Domain Security names the partner's domain even where the connector already
    // verifies a smart host's name, so it replaces a policy of equal strength.
    auto raise = [&](OutboundTls next, const std::string& who, const std::string& why, bool replace_equal = false) {
        int have = p ? strength(p->level) : -1, want = strength(next.level);
        if (want < have || (want == have && !replace_equal)) {
            note(trace, why + ": " + describe(*p) + " already meets " + describe(next));
            return;
        }
        note(trace, why + ": " + (p ? describe(*p) : std::string("no policy")) + " -> " + describe(next));
        p = std::move(next);
        decided_by = who;
    };
    const TlsRequired* strongest = nullptr;
    for (const auto& t : rules.tls_required)
        if (t.send && t.domain.matches(domain) && (!strongest || t.level > strongest->level)) strongest = &t;
    if (strongest) {
        std::string who = "tls_required " + strongest->domain.str();
        switch (strongest->level) {
            case TlsLevel::encrypt: raise(at_level(Level::encrypt), who, who + " level encrypt"); break;
            case TlsLevel::verify: raise(at_level(Level::verify), who, who + " level verify"); break;
            case TlsLevel::domain: raise(secure({names.exact}), who, who + " level domain"); break;
        }
    }
    if (rules.domain_security) {
        const auto& ds = *rules.domain_security;
        // Domain Security: mutual TLS, and the partner's certificate must name its domain or a host
        // in it.
        for (const auto& s : ds.send) {
            if (!s.matches(domain)) continue;
            raise(secure({names.exact, names.under}, true), "domain security send " + s.str(),
                  "domain security send " + s.str(), true);
            break;
        }
        // Pins name one exact domain; "*.P" never equals one.
        for (const auto& pin : ds.direct_trust) {
            if (pin.domain != domain) continue;
            OutboundTls pinned = at_level(Level::fingerprint);
            pinned.pins = {pin.sha256};
            pinned.client_certificate = true;
            raise(std::move(pinned), "direct trust " + pin.domain, "direct trust " + pin.domain);
            break;
        }
    }
    // Strength floors of the domain's send-side [[tls_required]]: a minimum means TLS is required.
    int min_bits = 0;
    TlsVersion min_version = TlsVersion::any;
    for (const auto& t : rules.tls_required) {
        if (!t.send || !t.domain.matches(domain)) continue;
        min_bits = std::max(min_bits, t.min_cipher_bits);
        min_version = std::max(min_version, t.min_tls_version);
    }
    if (min_bits > 0 || min_version != TlsVersion::any) {
        if (!p || strength(p->level) < strength(Level::encrypt)) {
            raise(at_level(Level::encrypt), "tls_required " + std::string(domain), "tls_required floors");
        }
        p->min_cipher_bits = std::max(p->min_cipher_bits, min_bits);
        p->min_tls_version = std::max(p->min_tls_version, min_version);
        note(trace, "tls_required: at least " + std::string(to_string(p->min_tls_version)) + ", " +
                        std::to_string(p->min_cipher_bits) + " bits -> " + describe(*p));
    }
    if (set_by) *set_by = p ? decided_by : std::string();
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
    if (winner->smart_hosts.empty()) {
        route.nexthop.kind = NextHop::Kind::mx;
        route.nexthop.domain = domain;
        route.nexthop.port = winner->port;
    } else {
        route.nexthop.kind = NextHop::Kind::host;
        route.nexthop.host = winner->smart_hosts.front();
        for (std::size_t i = 1; i < winner->smart_hosts.size(); ++i) {
            NextHop other;
            other.kind = NextHop::Kind::host;
            other.host = winner->smart_hosts[i];
            route.fallbacks.push_back(std::move(other));
        }
    }
    note(trace, "send connector " + winner->name + " routes " + domain + " (cost " + std::to_string(winner->cost) +
                    ") via " + (route.smart_host() ? "smart host " + route.nexthop.str() : "MX of " + domain));
    // Raised by the recipient domain even through a smart host: standalone delivery knows the
    // domain. Postfix does not (it asks for the smart host), hence the loader's smart-host check.
    // A connector always gives a policy, so this one is never empty.
    route.tls = domain_tls_policy(rules, winner, domain, trace, &route.tls_set_by).value_or(OutboundTls{});
    route.hold = winner->hold;
    if (winner->hold) note(trace, "send connector " + winner->name + " holds its mail until an ETRN for " + domain);
    return route;
}

}  // namespace detail

std::string NextHop::str() const {
    if (kind == Kind::host) return host.str();
    return port == 25 ? domain : domain + ":" + std::to_string(port);
}

const char* to_string(OutboundTls::Level level) {
    static constexpr const char* names[] = {"none", "may", "encrypt", "verify", "secure", "dane-only", "fingerprint"};
    return enum_name(level, names, "may");
}

int strength(OutboundTls::Level level) {
    switch (level) {
        case Level::none: return 0;
        case Level::may: return 1;
        case Level::encrypt: return 2;
        case Level::verify: return 3;
        case Level::secure:
        case Level::dane_only: return 4;  // DNSSEC-authenticated and never sent in the clear
        case Level::fingerprint: return 5;
    }
    return 1;
}

std::string describe(const OutboundTls& tls) {
    std::string out = to_string(tls.level);
    std::vector<std::string> items;
    for (const auto& n : tls.names)
        items.push_back(n.domain.empty() ? (n.subdomains ? "hosts under the next hop" : "the next hop")
                                         : (n.subdomains ? "." : "") + n.domain);
    for (const auto& pin : tls.pins) items.push_back(pin);
    if (tls.min_tls_version != TlsVersion::any) items.push_back(std::string("at least ") + to_string(tls.min_tls_version));
    if (tls.min_cipher_bits > 0) items.push_back("at least " + std::to_string(tls.min_cipher_bits) + " bits");
    for (std::size_t i = 0; i < items.size(); ++i) out += (i ? ", " : " (") + items[i];
    if (!items.empty()) out += ")";
    return out;
}

Result<std::optional<Route>> find_route(const Ruleset& rules, const Address& recipient, Trace* trace) noexcept {
    try {
        return detail::route_impl(rules, recipient, trace);
    } catch (const std::exception& e) {
        if (trace) detail::trace_internal_error(*trace, "routing");
        return Error{Error::Kind::temporary, "routing", e.what(), ErrorCode::internal};
    } catch (...) {
        if (trace) detail::trace_internal_error(*trace, "routing");
        return Error{Error::Kind::temporary, "routing", "unknown exception", ErrorCode::internal};
    }
}

std::optional<OutboundTls> mx_tls_policy(const Ruleset& rules, std::string_view domain) {
    const SendConnector* c = detail::routing_connector(rules, domain, nullptr);
    if (c && !c->smart_hosts.empty()) c = nullptr;
    return detail::domain_tls_policy(rules, c, domain, nullptr);
}

std::optional<OutboundTls> smart_host_tls_policy(const Ruleset& rules, const SmartHost& host) {
    std::optional<OutboundTls> best;
    for (const SendConnector& c : rules.send_connectors) {
        if (std::find(c.smart_hosts.begin(), c.smart_hosts.end(), host) == c.smart_hosts.end()) continue;
        OutboundTls p = detail::connector_tls_policy(c, CertificateName{});
        if (!best || strength(p.level) > strength(best->level)) best = std::move(p);
    }
    return best;
}

std::optional<Route> route_recipient(const Ruleset& rules, const Address& recipient, Trace* trace) noexcept {
    try {
        return detail::route_impl(rules, recipient, trace);
    } catch (...) {
        // No route is the safe answer: the caller (or the MTA) defers rather than picks a connector.
        if (trace) detail::trace_internal_error(*trace, "routing");
        return std::nullopt;
    }
}

}  // namespace mw::policy
