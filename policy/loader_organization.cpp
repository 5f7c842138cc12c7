// [organization], [[accepted_domain]], [[group]], [domain_security] and [[tls_required]].
#include <algorithm>
#include <cctype>

#include "core/fingerprint.hpp"
#include "policy/loader_tables.hpp"

namespace mw::policy::loader {

namespace {

std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// RFC 8601 authserv-id: we only accept a token (no quoting), so the header firewall can compare it
// after its own CFWS skipping without a second syntax.
std::string as_authserv_id(const toml::node& node, const Name& name) {
    std::string s = as_nonempty_string(node, name);
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        if (u <= 32 || u >= 127 || std::string_view("()<>@,;:\\\"/[]?=").find(c) != std::string_view::npos) {
            fail(node, "invalid authserv-id '" + s + "': use a host name like mx.example.com (RFC 8601)");
        }
    }
    return lower(s);
}

// "AB:CD:..." or "abcd...": 32 bytes of SHA-256 as 64 upper-case hex digits.
std::string as_sha256(const toml::node& node, const Name& name) {
    std::string s = as_string(node, name);
    auto hex = normalize_sha256(s);
    if (!hex) fail(node, "invalid sha256 fingerprint '" + s + "': expected 32 bytes as 64 hex digits (colons optional)");
    return *hex;
}

}  // namespace

void load_organization(Context& ctx, const toml::node& node) {
    const toml::table& table = as_table(node, "organization");
    SourceLoc loc = loc_of(table);
    if (!ctx.organization_file.empty()) {
        fail(loc, "duplicate [organization] table (first defined at " + loc_text(ctx.rules.organization.loc) + ")");
    }
    ctx.organization_file = loc.file;
    Organization& org = ctx.rules.organization;
    org.loc = loc;
    TableReader r(ctx, table, "[organization]",
                  {"hostname", "authserv_id", "authserv_ids", "exchange_compatible_headers", "login_domain"});
    ctx.attempt([&] { org.hostname = as_domain(r.require("hostname"), "hostname"); });
    org.authserv_id = org.hostname;
    r.with("authserv_id", [&](const toml::node& n) { org.authserv_id = as_authserv_id(n, "authserv_id"); });
    r.with("authserv_ids", [&](const toml::node& n) {
        const toml::array& a = as_array(n, "authserv_ids");
        if (a.empty()) fail(n, "'authserv_ids' must not be empty");
        for (const toml::node& e : a) {
            ctx.attempt([&] { org.authserv_ids.push_back(as_authserv_id(e, Name("authserv_ids", true))); });
        }
    });
    // Our own id is always treated as ours: otherwise a forged stamp carrying it would survive the
    // header firewall (README "Headers").
    if (!org.authserv_id.empty() &&
        std::find(org.authserv_ids.begin(), org.authserv_ids.end(), org.authserv_id) == org.authserv_ids.end()) {
        org.authserv_ids.insert(org.authserv_ids.begin(), org.authserv_id);
    }
    r.with("exchange_compatible_headers", [&](const toml::node& n) {
        org.exchange_compatible_headers = as_bool(n, "exchange_compatible_headers");
    });
    // Whether it is one of our domains is known only once every file is read (loader_checks.cpp).
    r.with("login_domain", [&](const toml::node& n) {
        org.login_domain = as_domain(n, "login_domain");
        ctx.login_domain_loc = loc_of(n);
    });
}

void load_accepted_domain(Context& ctx, const toml::table& table) {
    TableReader r(ctx, table, "[[accepted_domain]]", {"domain", "type", "recipients"});
    AcceptedDomain d;
    d.loc = r.loc();
    ctx.attempt([&] {
        const toml::node& n = r.require("domain");
        d.domain = as_domain_pattern(n, "domain");
        ctx.unique_name(ctx.domain_names, "accepted domain", d.domain.str(), loc_of(n));
    });
    r.with("type", [&](const toml::node& n) {
        d.type = as_enum<DomainType>(n, "type", {{"authoritative", DomainType::authoritative},
                                                 {"internal-relay", DomainType::internal_relay},
                                                 {"external-relay", DomainType::external_relay}});
    });
    r.with("recipients", [&](const toml::node& n) {
        // Exchange validates recipients only for authoritative domains; relay domains forward anything.
        if (d.type != DomainType::authoritative) {
            fail(n, "'recipients' is only allowed for authoritative domains: relay domains accept any recipient");
        }
        d.recipients = as_pattern_list(ctx, n, "recipients", false);
    });
    ctx.rules.accepted_domains.push_back(std::move(d));
}

void load_group(Context& ctx, const toml::table& table) {
    TableReader r(ctx, table, "[[group]]", {"name", "members"});
    Group g;
    g.loc = r.loc();
    g.name = read_unique_name(ctx, r, ctx.group_names, "group name");
    ctx.attempt([&] { g.members = as_pattern_list(ctx, r.require("members"), "members", true, true); });
    ctx.rules.groups.push_back(std::move(g));
}

void load_domain_security(Context& ctx, const toml::node& node) {
    const toml::table& table = as_table(node, "domain_security");
    SourceLoc loc = loc_of(table);
    if (ctx.rules.domain_security) {
        fail(loc, "duplicate [domain_security] table (first defined at " + loc_text(ctx.rules.domain_security->loc) + ")");
    }
    DomainSecurity& ds = ctx.rules.domain_security.emplace();
    ds.loc = loc;
    TableReader r(ctx, table, "[domain_security]", {"receive", "send", "ca_file", "direct_trust", "on_failure"});
    r.with("receive", [&](const toml::node& n) {
        for (const toml::node& e : as_array(n, "receive")) {
            ctx.attempt([&] {
                DomainPattern p = as_domain_pattern(e, Name("receive", true));
                // Milter mode sees only the certificate CN (README "mailwarden explain"): say so at each entry.
                ctx.warning(loc_of(e), "domain security for '" + p.str() +
                                           "': in milter mode Postfix and Sendmail hand mailwarden only the "
                                           "certificate CN, not SANs; if the partner's certificate names " +
                                           p.str() + " only in a SAN, pin it with direct_trust");
                ds.receive.push_back(std::move(p));
            });
        }
    });
    r.with("send", [&](const toml::node& n) { ds.send = as_domain_list(ctx, n, "send"); });
    r.with("ca_file", [&](const toml::node& n) { ds.ca_file = as_existing_file(ctx, n, "ca_file"); });
    r.with("direct_trust", [&](const toml::node& n) {
        for (const toml::node& e : as_array(n, "direct_trust")) {
            ctx.attempt([&] {
                const toml::table& t = as_table(e, Name("direct_trust", true));
                TableReader pin_reader(ctx, t, "a 'direct_trust' entry", {"domain", "sha256"});
                DirectTrustPin pin;
                pin.loc = loc_of(t);
                ctx.attempt([&] {
                    const toml::node& d = pin_reader.require("domain");
                    pin.domain = as_domain(d, "domain");
                    // The engine uses the first pin of a domain: a second one (say, a rotated key
                    // added next to the old) would be silently ignored, so it is refused.
                    auto first = std::find_if(ds.direct_trust.begin(), ds.direct_trust.end(),
                                              [&](const DirectTrustPin& p) { return p.domain == pin.domain; });
                    if (first != ds.direct_trust.end()) {
                        fail(d, "duplicate direct_trust pin for '" + pin.domain + "' (first at " + loc_text(first->loc) +
                                    "); one pin per domain");
                    }
                });
                ctx.attempt([&] { pin.sha256 = as_sha256(pin_reader.require("sha256"), "sha256"); });
                if (!pin.domain.empty()) ds.direct_trust.push_back(std::move(pin));
            });
        }
    });
    r.with("on_failure", [&](const toml::node& n) {
        ds.on_failure = as_enum<OnFailure>(n, "on_failure", {{"tempfail", OnFailure::tempfail}, {"reject", OnFailure::reject}});
    });
}

void load_tls_required(Context& ctx, const toml::table& table) {
    TableReader r(ctx, table, "[[tls_required]]", {"domain", "direction", "level", "min_cipher_bits", "min_tls_version"});
    TlsRequired t;
    t.loc = r.loc();
    ctx.attempt([&] { t.domain = as_domain_pattern(r.require("domain"), "domain"); });
    r.with("direction", [&](const toml::node& n) {
        enum class Dir { receive, send, both };
        Dir d = as_enum<Dir>(n, "direction", {{"receive", Dir::receive}, {"send", Dir::send}, {"both", Dir::both}});
        t.receive = d != Dir::send;
        t.send = d != Dir::receive;
    });
    r.with("level", [&](const toml::node& n) {
        t.level = as_enum<TlsLevel>(n, "level", {{"encrypt", TlsLevel::encrypt}, {"verify", TlsLevel::verify},
                                                 {"domain", TlsLevel::domain}});
    });
    r.with("min_cipher_bits",
           [&](const toml::node& n) { t.min_cipher_bits = static_cast<int>(as_integer(n, "min_cipher_bits", 1, 1024)); });
    r.with("min_tls_version", [&](const toml::node& n) {
        t.min_tls_version = as_enum<TlsVersion>(n, "min_tls_version",
                                                {{"TLSv1", TlsVersion::tls1_0}, {"TLSv1.1", TlsVersion::tls1_1},
                                                 {"TLSv1.2", TlsVersion::tls1_2}, {"TLSv1.3", TlsVersion::tls1_3}});
    });
    ctx.rules.tls_required.push_back(std::move(t));
}

}  // namespace mw::policy::loader
