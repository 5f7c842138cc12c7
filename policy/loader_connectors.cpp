// [[receive_connector]] and [[send_connector]].
#include <algorithm>
#include <limits>

#include "policy/loader_tables.hpp"

namespace mw::policy::loader {

namespace {

constexpr std::int64_t u32_max = std::numeric_limits<std::uint32_t>::max();

std::string right_names() {
    std::string s;
    for (int i = 0; i < right_count; ++i) s += std::string(i ? ", " : "") + to_string(static_cast<Right>(i));
    return s;
}

Rights as_rights(Context& ctx, const toml::node& node, const Name& name) {
    Rights rights = 0;
    for (const toml::node& e : as_array(node, name)) {
        ctx.attempt([&] {
            std::string s = as_string(e, name.entries());
            auto r = right_from_string(s);
            if (!r) fail(e, "unknown right '" + s + "': expected one of " + right_names());
            rights |= bit(*r);
        });
    }
    return rights;
}

std::vector<PermissionGroup> as_permission_groups(Context& ctx, const toml::node& node) {
    std::vector<PermissionGroup> out;
    for (const toml::node& e : as_array(node, "permission_groups")) {
        ctx.attempt([&] {
            std::string s = as_string(e, Name("permission_groups", true));
            auto g = permission_group_from_string(s);
            if (!g) fail(e, "unknown permission group '" + s + "': expected one of anonymous, users, partners, servers");
            if (std::find(out.begin(), out.end(), *g) == out.end()) out.push_back(*g);
        });
    }
    return out;
}

// Checks Exchange-style trust delegation: external-authoritative makes every session a `servers`
// session with every right, so it must be fenced to named hosts (README "Receive connectors and permission groups"). /0 is the obvious
// hole; "0.0.0.0/1" + "128.0.0.0/1" is the same hole in two halves, so any range wider than /8
// (IPv4) or /32 (IPv6) is refused: nobody's own servers span more than that.
void check_external_authoritative(Context& ctx, const ReceiveConnector& c, const std::vector<SourceLoc>& remote_locs,
                                  const SourceLoc& at) {
    bool open = !c.remote_explicit ||
                std::any_of(c.remote.begin(), c.remote.end(), [](const IpNetwork& n) { return n.prefix == 0; });
    if (open) {
        fail(at, "external-authoritative grants every right: give this connector an explicit 'remote' without /0 ranges");
    }
    for (std::size_t i = 0; i < c.remote.size(); ++i) {
        const IpNetwork& n = c.remote[i];
        if (n.prefix >= (n.address.v4 ? 8 : 32)) continue;
        ctx.error(i < remote_locs.size() ? remote_locs[i] : at,
                  "external-authoritative grants every right: remote range '" + n.to_string() +
                      "' is too wide (IPv4 ranges must be /8 or longer, IPv6 /32 or longer)");
    }
    if (std::find(c.permission_groups.begin(), c.permission_groups.end(), PermissionGroup::servers) ==
        c.permission_groups.end()) {
        fail(at, "external-authoritative needs the 'servers' permission group (as Exchange needs ExchangeServers): "
                 "add \"servers\" to permission_groups");
    }
}

// "[192.0.2.1]:587" and "relay.example.net:587" name their port; "[192.0.2.1]" and
// "relay.example.net" take the connector's.
bool has_explicit_port(std::string_view smart_host) {
    if (smart_host.starts_with("[")) return smart_host.find("]:") != std::string_view::npos;
    return smart_host.find(':') != std::string_view::npos;
}

}  // namespace

void load_receive_connector(Context& ctx, const toml::table& table) {
    TableReader r(ctx, table, "[[receive_connector]]",
                  {"name", "bind", "daemon_name", "remote", "auth", "require_tls", "permission_groups", "grant", "deny",
                   "max_message_size", "max_recipients", "max_connections", "max_connections_per_source",
                   "connection_timeout", "inactivity_timeout", "tarpit", "reverse_dns"});
    ReceiveConnector c;
    c.loc = r.loc();
    c.name = read_unique_name(ctx, r, ctx.receive_names, "receive connector name");
    r.with("bind", [&](const toml::node& n) {
        for (const toml::node& e : as_array(n, "bind")) {
            ctx.attempt([&] {
                std::string s = as_string(e, Name("bind", true));
                EndpointParse parsed = parse_endpoint(s);
                if (!parsed.endpoint) fail(e, "invalid bind address '" + s + "': " + parsed.error);
                c.bind.push_back(*parsed.endpoint);
            });
        }
    });
    r.with("daemon_name", [&](const toml::node& n) { c.daemon_name = as_nonempty_string(n, "daemon_name"); });
    std::vector<SourceLoc> remote_locs;  // one per c.remote entry, for the external-authoritative fence
    r.with("remote", [&](const toml::node& n) {
        const toml::array& a = as_array(n, "remote");
        if (a.empty()) fail(n, "'remote' must not be empty: the connector would match no client");
        c.remote_explicit = true;
        for (const toml::node& e : a) {
            ctx.attempt([&] {
                std::string s = as_string(e, Name("remote", true));
                NetworkParse parsed = parse_network(s);
                if (!parsed.network) {
                    // parse_network's text usually names the input already; do not repeat it.
                    bool named = parsed.error.find("'" + s + "'") != std::string::npos;
                    fail(e, named ? parsed.error : "invalid network '" + s + "': " + parsed.error);
                }
                c.remote.push_back(*parsed.network);
                remote_locs.push_back(loc_of(e));
            });
        }
    });
    if (!c.remote_explicit) {
        c.remote = {parse_network("0.0.0.0/0").network.value_or(IpNetwork{}),
                    parse_network("::/0").network.value_or(IpNetwork{})};
    }
    // Default auth: STARTTLS offered, as in the README's example block ("Receive connectors and permission groups").
    c.auth = {AuthMechanism::tls};
    std::optional<SourceLoc> external_at;
    r.with("auth", [&](const toml::node& n) {
        c.auth.clear();
        for (const toml::node& e : as_array(n, "auth")) {
            ctx.attempt([&] {
                auto m = as_enum<AuthMechanism>(e, Name("auth", true),
                                                {{"tls", AuthMechanism::tls},
                                                 {"basic", AuthMechanism::basic},
                                                 {"basic-require-tls", AuthMechanism::basic_require_tls},
                                                 {"external-authoritative", AuthMechanism::external_authoritative}});
                if (m == AuthMechanism::external_authoritative) external_at = loc_of(e);
                if (!c.has(m)) c.auth.push_back(m);
            });
        }
    });
    r.with("require_tls", [&](const toml::node& n) { c.require_tls = as_bool(n, "require_tls"); });
    // Default permission groups: anonymous only, like Exchange's default frontend connector; a
    // connector for users or servers must say so.
    c.permission_groups = {PermissionGroup::anonymous};
    r.with("permission_groups", [&](const toml::node& n) { c.permission_groups = as_permission_groups(ctx, n); });
    r.with("grant", [&](const toml::node& n) { c.grant = as_rights(ctx, n, "grant"); });
    r.with("deny", [&](const toml::node& n) { c.deny = as_rights(ctx, n, "deny"); });
    r.with("max_message_size", [&](const toml::node& n) {
        c.max_message_size = as_size(n, "max_message_size");
        if (c.max_message_size == 0) fail(n, "'max_message_size' must be at least 1 byte");
    });
    r.with("max_recipients", [&](const toml::node& n) {
        c.max_recipients = static_cast<std::uint32_t>(as_integer(n, "max_recipients", 1, u32_max));
    });
    r.with("max_connections", [&](const toml::node& n) {
        c.max_connections = static_cast<std::uint32_t>(as_integer(n, "max_connections", 1, u32_max));
    });
    r.with("max_connections_per_source", [&](const toml::node& n) {
        c.max_connections_per_source = static_cast<std::uint32_t>(as_integer(n, "max_connections_per_source", 1, u32_max));
    });
    r.with("connection_timeout", [&](const toml::node& n) { c.connection_timeout_s = as_duration(n, "connection_timeout"); });
    r.with("inactivity_timeout", [&](const toml::node& n) { c.inactivity_timeout_s = as_duration(n, "inactivity_timeout"); });
    r.with("tarpit", [&](const toml::node& n) { c.tarpit_s = as_duration(n, "tarpit"); });
    r.with("reverse_dns", [&](const toml::node& n) {
        c.reverse_dns = as_enum<ReverseDns>(n, Name("reverse_dns"), {{"off", ReverseDns::off},
                                                                     {"lookup", ReverseDns::lookup},
                                                                     {"require", ReverseDns::require}});
    });
    if (external_at) ctx.attempt([&] { check_external_authoritative(ctx, c, remote_locs, *external_at); });
    if (c.bind.empty() && !c.daemon_name) {
        ctx.warning(c.loc, "receive connector '" + c.name + "' has neither 'bind' nor 'daemon_name': it never matches");
    }
    ctx.rules.receive_connectors.push_back(std::move(c));
}

void load_send_connector(Context& ctx, const toml::table& table) {
    TableReader r(ctx, table, "[[send_connector]]",
                  {"name", "address_spaces", "cost", "smart_hosts", "port", "tls", "tls_domain", "auth",
                   "hold", "etrn"});
    SendConnector c;
    c.loc = r.loc();
    SendConnectorExtra extra{c.loc};
    std::vector<bool> port_given;  // per smart host: written with a port of its own
    c.name = read_unique_name(ctx, r, ctx.send_names, "send connector name");
    ctx.attempt([&] {
        const toml::node& n = r.require("address_spaces");
        const toml::array& a = as_array(n, "address_spaces");
        if (a.empty()) fail(n, "'address_spaces' must not be empty: the connector would route nothing");
        for (const toml::node& e : a) {
            ctx.attempt([&] {
                AddressSpace space;
                if (e.is_string() && e.as_string()->get() == "*") {
                    space.all = true;
                } else {
                    space.domain = as_domain_pattern(e, Name("address_spaces", true));
                }
                c.address_spaces.push_back(std::move(space));
            });
        }
    });
    r.with("cost", [&](const toml::node& n) {
        c.cost = static_cast<int>(as_integer(n, "cost", 0, std::numeric_limits<int>::max()));
    });
    r.with("smart_hosts", [&](const toml::node& n) {
        for (const toml::node& e : as_array(n, "smart_hosts")) {
            ctx.attempt([&] {
                std::string s = as_string(e, Name("smart_hosts", true));
                auto h = parse_smart_host(s);
                if (!h) {
                    fail(e, "invalid smart host '" + s +
                                "': expected \"relay.example.net\", \"relay.example.net:587\", \"[192.0.2.1]:25\" or "
                                "\"[2001:db8::1]:25\"");
                }
                c.smart_hosts.push_back(*h);
                port_given.push_back(has_explicit_port(s));
            });
        }
    });
    r.with("port", [&](const toml::node& n) {
        c.port = static_cast<std::uint16_t>(as_integer(n, "port", 1, 65535));
    });
    for (std::size_t i = 0; i < c.smart_hosts.size(); ++i)
        if (!port_given[i]) c.smart_hosts[i].port = c.port;
    r.with("tls", [&](const toml::node& n) {
        extra.tls_loc = loc_of(n);
        c.tls = as_enum<SendTls>(n, "tls", {{"none", SendTls::none},
                                               {"opportunistic", SendTls::opportunistic},
                                               {"encryption-only", SendTls::encryption_only},
                                               {"certificate-validation", SendTls::certificate_validation},
                                               {"domain-validation", SendTls::domain_validation},
                                               {"dane", SendTls::dane}});
    });
    r.with("tls_domain", [&](const toml::node& n) {
        if (!as_string(n, "tls_domain").empty()) c.tls_domain = as_domain(n, "tls_domain");
    });
    r.with("auth", [&](const toml::node& n) {
        const toml::table& t = as_table(n, "auth");
        TableReader a(ctx, t, "'auth' of [[send_connector]]", {"user", "password_file"});
        SmartHostAuth auth;
        ctx.attempt([&] { auth.user = as_nonempty_string(a.require("user"), "user"); });
        ctx.attempt([&] { auth.password_file = as_existing_file(ctx, a.require("password_file"), "password_file"); });
        c.auth = std::move(auth);
        if (c.smart_hosts.empty() && !r.get("smart_hosts")) {
            fail(n, "'auth' needs 'smart_hosts': credentials are only ever sent to smart hosts");
        }
        // Credentials in the clear would leak to anyone on the path (README "Send connectors": "only ever over TLS").
        if (c.tls == SendTls::none || c.tls == SendTls::opportunistic) {
            fail(n, "smart-host auth is only sent over TLS: set tls to encryption-only or stronger");
        }
    });
    r.with("hold", [&](const toml::node& n) { c.hold = as_bool(n, "hold"); });
    r.with("etrn", [&](const toml::node& n) { c.etrn = as_etrn_request(ctx, n); });
    ctx.rules.send_connectors.push_back(std::move(c));
    ctx.send_extra.push_back(extra);
}

}  // namespace mw::policy::loader
