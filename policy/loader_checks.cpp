// Checks that need every file read: group references and cycles, smart hosts whose TLS is
// weaker than a domain routed through them requires, and the organization's login_domain.
#include <algorithm>
#include <functional>
#include <map>

#include "policy/engine_internal.hpp"
#include "policy/loader_tables.hpp"

namespace mw::policy::loader {

namespace {

void check_groups(Context& ctx) {
    for (const GroupRef& ref : ctx.group_refs) {
        if (!ctx.rules.find_group(ref.name)) ctx.error(ref.loc, "unknown group '" + ref.name + "'");
    }
    // Depth-first search; a member naming a group still on the path closes a cycle, reported there.
    enum class Mark { white, grey, black };
    std::map<std::string, Mark, std::less<>> mark;
    std::vector<std::string> path;
    std::function<void(const Group&)> visit = [&](const Group& g) {
        mark[g.name] = Mark::grey;
        path.push_back(g.name);
        for (const AddressPattern& m : g.members) {
            if (m.kind != AddressPattern::Kind::group) continue;
            const Group* next = ctx.rules.find_group(m.value);
            if (!next) continue;
            Mark state = mark[next->name];
            if (state == Mark::grey) {
                std::string cycle;
                auto start = std::find(path.begin(), path.end(), next->name);
                for (auto it = start; it != path.end(); ++it) cycle += *it + " -> ";
                ctx.error(m.loc, "group cycle: " + cycle + next->name);
            } else if (state == Mark::white) {
                visit(*next);
            }
        }
        path.pop_back();
        mark[g.name] = Mark::black;
    };
    for (const Group& g : ctx.rules.groups) {
        if (mark[g.name] == Mark::white) visit(g);
    }
}

// Outbound TLS strength as README "Send connectors" orders it; dane proves encryption but, for our purposes, no
// more (its trust comes from DNSSEC, not from the certificate checks `verify`/`domain` ask for).
int strength(SendTls t) {
    switch (t) {
        case SendTls::none: return 0;
        case SendTls::opportunistic: return 1;
        case SendTls::encryption_only: return 2;
        case SendTls::dane: return 2;
        case SendTls::certificate_validation: return 3;
        case SendTls::domain_validation: return 4;
    }
    return 0;
}

const char* needed_text(int s) {
    return s >= 4 ? "domain-validation" : s == 3 ? "certificate-validation or stronger" : "encryption-only or stronger";
}

// The send connectors that carry mail for some domain the pattern covers, as the engine routes it
// (the socketmap tells Postfix the same). Authoritative domains are delivered here: none.
std::vector<const SendConnector*> connectors_for(const Ruleset& rules, const DomainPattern& p) {
    std::vector<const SendConnector*> out;
    auto add = [&](std::string_view domain) {
        const SendConnector* c = detail::routing_connector(rules, domain, nullptr);
        if (c && std::find(out.begin(), out.end(), c) == out.end()) out.push_back(c);
    };
    if (!p.subdomains) {
        add(p.domain);
        return out;
    }
    // A generic subdomain ("*.D": only rules covering every subdomain match it), plus the domains
    // under the pattern that an address space names explicitly, which may route elsewhere.
    add("*." + p.domain);
    for (const SendConnector& c : rules.send_connectors) {
        for (const AddressSpace& s : c.address_spaces) {
            if (s.all) continue;
            if (s.domain.subdomains && (s.domain.domain == p.domain || p.matches(s.domain.domain)))
                add("*." + s.domain.domain);
            else if (!s.domain.subdomains && p.matches(s.domain.domain))
                add(s.domain.domain);
        }
    }
    return out;
}

struct Requirement {
    DomainPattern domain;
    int strength = 0;
    std::string source;  // what asks for it, for the message
};

void check_smart_host_tls(Context& ctx) {
    static const char* const level_names[] = {"encrypt", "verify", "domain"};
    std::vector<Requirement> needs;
    for (const TlsRequired& t : ctx.rules.tls_required) {
        if (!t.send) continue;
        int s = t.level == TlsLevel::encrypt ? 2 : t.level == TlsLevel::verify ? 3 : 4;
        needs.push_back({t.domain, s,
                         std::string("tls_required level ") + level_names[static_cast<int>(t.level)] + " at " +
                             loc_text(t.loc)});
    }
    if (const auto& ds = ctx.rules.domain_security) {
        // Domain security send also needs a client certificate, which Postfix sends globally.
        for (const DomainPattern& d : ds->send) needs.push_back({d, 4, "[domain_security] send at " + loc_text(ds->loc)});
    }
    const auto& connectors = ctx.rules.send_connectors;
    for (const Requirement& need : needs) {
        for (const SendConnector* routed : connectors_for(ctx.rules, need.domain)) {
            const SendConnector& c = *routed;
            if (c.smart_hosts.empty() || strength(c.tls) >= need.strength) continue;
            // Postfix's smtp_tls_policy_maps is keyed by the smart host's [host]:port, never by the
            // recipient domain, so the domain's requirement would be silently lost.
            auto i = static_cast<std::size_t>(routed - connectors.data());
            ctx.error(ctx.send_extra[i].tls_loc,
                      "send connector '" + c.name + "' routes mail for '" + need.domain.str() +
                          "' through smart hosts with tls = \"" + to_string(c.tls) + "\", weaker than " + need.source +
                          " requires: set tls to " + needed_text(need.strength));
        }
    }
}

// [organization] login_domain: a bare login owns LOGIN@login_domain, so it must be a domain we
// accept mail for (else a login would own an address that is not ours). Without the key, the first
// authoritative accepted domain that names a single domain (a wildcard makes no address).
void settle_login_domain(Context& ctx) {
    Organization& org = ctx.rules.organization;
    if (ctx.login_domain_loc) {
        if (!is_inside(ctx.rules, org.login_domain)) {
            ctx.error(*ctx.login_domain_loc, "login_domain '" + org.login_domain +
                                                 "' is not an accepted domain: a bare login owns LOGIN@login_domain, "
                                                 "so it must be covered by an [[accepted_domain]]");
        }
        return;
    }
    for (const AcceptedDomain& d : ctx.rules.accepted_domains) {
        if (d.type == DomainType::authoritative && !d.domain.subdomains) {
            org.login_domain = d.domain.domain;
            return;
        }
    }
}

}  // namespace

void cross_check(Context& ctx) {
    check_groups(ctx);
    check_smart_host_tls(ctx);
    settle_login_domain(ctx);
}

}  // namespace mw::policy::loader
