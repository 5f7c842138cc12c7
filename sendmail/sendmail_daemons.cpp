// DAEMON_OPTIONS for `mailwarden export sendmail`. Sendmail tells the milter which daemon a session
// came in on through {daemon_name} (the daemon's Name=), so each receive-connector binding becomes a
// daemon carrying the connector's daemon_name. Sendmail sets no IPV6_V6ONLY (its binary makes no such
// setsockopt call): where an IPv6 socket on the any address also takes IPv4 (Linux's default), an
// inet6 daemon beside an inet one on the same port cannot bind, and Sendmail exits ("server SMTP
// socket wedged") unless that daemon is marked optional (M=O).
#include "sendmail/sendmail_daemons.hpp"

#include <algorithm>
#include <map>

#include "core/add_once.hpp"
#include "core/export_error.hpp"
#include "policy/connector_names.hpp"
#include "sendmail/sendmail_text.hpp"

namespace mw::sendmail {

namespace {

using namespace mw::policy;
using sendmail_text::comment;
using sendmail_text::printable;

struct Daemon {
    bool inet6 = false;
    std::optional<IpAddress> address;  // nullopt: every address of the family
    std::uint16_t port = 0;
    bool optional = false;              // M=O: the inet6 half of an any-address pair
    std::vector<std::string> binds;     // as the rules give them, for the comment
    std::vector<const ReceiveConnector*> connectors;

    bool same_listener(const Daemon& o) const { return inet6 == o.inet6 && address == o.address && port == o.port; }
    bool any() const { return !address; }
};

bool all_zero(const IpAddress& a) {
    return std::all_of(a.bytes.begin() + (a.v4 ? 12 : 0), a.bytes.end(), [](std::uint8_t x) { return x == 0; });
}

// The daemons one binding needs: "*:25" is both families' any address; "0.0.0.0:25" and "[::]:25"
// one family's.
Daemon listener(bool inet6, std::optional<IpAddress> address, std::uint16_t port) {
    Daemon d;
    d.inet6 = inet6;
    d.address = std::move(address);
    d.port = port;
    return d;
}

std::vector<Daemon> listeners_of(const Endpoint& b) {
    if (!b.address) return {listener(false, std::nullopt, b.port), listener(true, std::nullopt, b.port)};
    bool inet6 = !b.address->v4;
    return {listener(inet6, all_zero(*b.address) ? std::nullopt : b.address, b.port)};
}

std::vector<Daemon> plan_daemons(const Ruleset& rules) {
    std::vector<Daemon> out;
    for (const auto& c : rules.receive_connectors) {
        for (const auto& b : c.bind) {
            for (Daemon wanted : listeners_of(b)) {
                auto it = std::find_if(out.begin(), out.end(), [&](const Daemon& d) { return d.same_listener(wanted); });
                if (it == out.end()) {
                    out.push_back(std::move(wanted));
                    it = std::prev(out.end());
                }
                add_once(it->binds, b.to_string());
                add_once(it->connectors, &c);
            }
        }
    }
    // Both families' any address on one port: the inet6 daemon is optional and comes after the inet
    // one, so that a dual-stack IPv6 socket never takes the port from the IPv4 daemon.
    auto partner = [&](const Daemon& d) {
        return std::find_if(out.begin(), out.end(), [&](const Daemon& o) {
            return o.any() && d.any() && o.port == d.port && o.inet6 != d.inet6;
        });
    };
    std::vector<Daemon> ordered;
    for (const auto& d : out) {
        auto other = partner(d);
        if (other == out.end()) {
            ordered.push_back(d);
        } else if (!d.inet6) {  // the pair, inet first; the inet6 half is skipped where it stands
            ordered.push_back(d);
            ordered.push_back(*other);
            ordered.back().optional = true;
        }
    }
    return ordered;
}

using comment_text::join;

std::string names_of(const std::vector<const ReceiveConnector*>& cs) {
    std::string out;
    for (const auto* c : cs) out += (out.empty() ? "" : ", ") + c->name;
    return out;
}

bool offers_basic(const ReceiveConnector& c) {
    return c.has(AuthMechanism::basic) || c.has(AuthMechanism::basic_require_tls);
}

std::string listener_text(const Daemon& d) {
    std::string family = d.inet6 ? "inet6" : "inet";
    if (!d.address) return family + " *:" + std::to_string(d.port);
    return d.inet6 ? "[" + d.address->to_string() + "]:" + std::to_string(d.port)
                   : d.address->to_string() + ":" + std::to_string(d.port);
}

void check_names(const Ruleset& rules) {
    for (const auto& c : rules.receive_connectors)
        if (c.daemon_name && !sendmail_text::is_daemon_name(*c.daemon_name))
            throw ExportError("receive connector '" + printable(c.name) + "': daemon_name '" +
                              printable(*c.daemon_name) +
                              "' cannot be a Sendmail daemon name (Name= takes one token of ASCII letters, digits, "
                              "'.', '_', '+' and '-')");
}

std::string daemon_text(const Daemon& d, const std::map<const ReceiveConnector*, std::string>& derived) {
    auto [explicit_names, unnamed, name] = listener_names(d.connectors, derived);
    bool auth = std::any_of(d.connectors.begin(), d.connectors.end(), [](const auto* c) { return offers_basic(*c); });

    std::string about = std::string(d.connectors.size() == 1 ? "Receive connector " : "Receive connectors ") +
                        names_of(d.connectors) + " (bind " + join(d.binds) + ")";
    if (!explicit_names.empty()) about += ", daemon_name " + name;
    about += ".";
    if (explicit_names.empty())
        about += " No daemon_name: mailwarden knows no connector by the name below (it labels the daemon in "
                 "Sendmail's logs) and matches by the daemon address and port against bind.";
    if (d.optional)
        about += " M=O: where IPv6 sockets also take IPv4 (Linux with net.ipv6.bindv6only = 0, the default) this "
                 "daemon cannot bind beside the inet one on the same port, and Sendmail goes on without it instead "
                 "of exiting; IPv6 clients then need net.ipv6.bindv6only = 1 or a bind on a specific IPv6 address.";
    std::string out = comment(about);
    if (explicit_names.size() > 1)
        out += comment("warning: connectors " + names_of(d.connectors) +
                       " share this binding with different daemon_names (" + join(explicit_names) +
                       "), but a Sendmail daemon has one name: only '" + name +
                       "' reaches the milter here. Give them one daemon_name, or separate bindings.");
    if (!explicit_names.empty() && !unnamed.empty())
        out += comment("warning: " + names_of(unnamed) + " has no daemon_name and shares this binding with connectors named '" +
                       name + "': the milter chooses among those only, so " + names_of(unnamed) +
                       " is never chosen here. Give it daemon_name = \"" + name + "\".");
    std::string options = std::string("Family=") + (d.inet6 ? "inet6" : "inet") + ", Name=" +
                          sendmail_text::m4_quoted(name) + ", Port=" + std::to_string(d.port);
    if (d.address) options += ", Addr=" + d.address->to_string();
    std::string modifiers = std::string(auth ? "" : "A") + (d.optional ? "O" : "");
    if (!modifiers.empty()) options += ", M=" + modifiers;
    return out + "DAEMON_OPTIONS(`" + options + "')dnl\n";
}

// Two daemons on one port where one takes every address of a family that the other's address is
// in: the second cannot bind (the any-address pair of both families is handled by M=O).
std::string port_conflicts(const std::vector<Daemon>& daemons) {
    std::string out;
    for (std::size_t i = 0; i < daemons.size(); ++i) {
        for (std::size_t j = i + 1; j < daemons.size(); ++j) {
            const Daemon &a = daemons[i], &b = daemons[j];
            if (a.port != b.port || (!a.any() && !b.any())) continue;
            if (a.any() && b.any() && a.inet6 != b.inet6) continue;
            bool overlap = a.inet6 == b.inet6 || (a.any() ? a.inet6 : b.inet6);  // a dual-stack inet6 any
            if (!overlap) continue;
            out += comment("warning: daemons " + listener_text(a) + " and " + listener_text(b) + " both listen on port " +
                           std::to_string(a.port) + " and one of them on every address: Sendmail cannot open "
                           "the other and exits. Bind specific addresses, or one any address per family.");
        }
    }
    return out;
}

}  // namespace

std::string sendmail_daemons_section(const Ruleset& rules) {
    check_names(rules);
    auto daemons = plan_daemons(rules);
    auto derived = derived_daemon_names(rules);
    std::string out = comment(
        "Without this, Sendmail adds a daemon of its own on port 587 (Name=MSA) that no receive connector is "
        "named for: mailwarden would answer its mail with 451 4.3.5 unless a connector binds that port.");
    out += "FEATURE(`no_default_msa')dnl\n";
    out += comment(
        "One Sendmail daemon per receive-connector binding. Its Name= is the connector's daemon_name: Sendmail "
        "hands it to the milter as {daemon_name}, and mailwarden picks the connector by it; connectors sharing a "
        "binding are then told apart by the client's address (their remote ranges). M=A: no SMTP AUTH on a "
        "daemon whose connectors offer no basic auth. These replace any DAEMON_OPTIONS already in sendmail.mc.");
    out += port_conflicts(daemons);
    for (const auto& d : daemons) out += daemon_text(d, derived);
    for (const auto& c : rules.receive_connectors) {
        if (!c.bind.empty()) continue;
        if (c.daemon_name)
            out += comment("Receive connector " + c.name + " has no bind: give the daemon it should judge Name=" +
                           *c.daemon_name + ".");
        else
            out += comment("Receive connector " + c.name + " has neither bind nor daemon_name: no daemon reaches it.");
    }
    return out;
}

std::string sendmail_auth_section(const Ruleset& rules) {
    std::vector<std::string> plain, tls_only;
    for (const auto& c : rules.receive_connectors) {
        if (c.has(AuthMechanism::basic)) plain.push_back(c.name);
        else if (c.has(AuthMechanism::basic_require_tls)) tls_only.push_back(c.name);
    }
    if (plain.empty() && tls_only.empty())
        return comment("No receive connector offers basic auth: Sendmail offers no SMTP AUTH (M=A above).");
    std::vector<std::string> all = plain;
    all.insert(all.end(), tls_only.begin(), tls_only.end());
    std::string out = comment(
        "SMTP AUTH for receive connectors " + join(all) + " (basic): Sendmail runs it itself through Cyrus SASL, "
        "which you set up (e.g. saslauthd and /etc/sasl2/Sendmail.conf); mailwarden sees the login as "
        "{auth_authen}. TRUST_AUTH_MECH lets Sendmail relay for authenticated clients; mailwarden then grants "
        "or refuses each recipient by the connector's rights.");
    out += "TRUST_AUTH_MECH(`PLAIN LOGIN')dnl\ndefine(`confAUTH_MECHANISMS', `PLAIN LOGIN')dnl\n";
    if (plain.empty()) {
        out += comment("p: PLAIN and LOGIN only after STARTTLS (every connector with basic auth is basic-require-tls); "
                       "y: no anonymous mechanisms; A: AUTH= on MAIL only from authenticated sessions.");
        out += "define(`confAUTH_OPTIONS', `A p y')dnl\n";
    } else {
        std::string note = "Sendmail's AuthOptions are the same for every daemon, and connectors " + join(plain) +
                           " offer basic auth without TLS, so p (no plaintext mechanisms before STARTTLS) is not set";
        if (!tls_only.empty())
            note += ": Sendmail offers PLAIN and LOGIN before STARTTLS on the daemons of " + join(tls_only) +
                    " (basic-require-tls) too. Separate Sendmail instances would keep them apart";
        out += comment(note + ". y: no anonymous mechanisms; A: AUTH= on MAIL only from authenticated sessions.");
        out += "define(`confAUTH_OPTIONS', `A y')dnl\n";
    }
    return out;
}

}  // namespace mw::sendmail
