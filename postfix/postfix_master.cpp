// master.cf for `mailwarden export postfix`. Postfix tells the milter which service a session came in
// on only through {daemon_name} (milter_macro_daemon_name) and the policy service only through
// policy_context, so each receive-connector binding becomes its own smtpd service carrying the
// connector's daemon_name in both; per-connector limits that Postfix enforces itself ride along as
// "-o" overrides.
#include "postfix/postfix_master.hpp"

#include <algorithm>
#include <map>

#include "core/add_once.hpp"
#include "policy/connector_names.hpp"
#include "postfix/postfix_export.hpp"
#include "postfix/postfix_text.hpp"

namespace mw::postfix {

namespace {

using namespace mw::policy;
using postfix_text::comment;
using postfix_text::printable;

bool any_address(const Endpoint& e) {
    if (!e.address) return true;
    const auto& b = e.address->bytes;
    return std::all_of(b.begin() + (e.address->v4 ? 12 : 0), b.end(), [](std::uint8_t x) { return x == 0; });
}

struct Service {
    std::string name;  // master.cf service name
    std::uint16_t port = 0;
    bool any = false;
    bool ipv6 = false;
    std::vector<std::string> binds;  // as the rules give them, for the comment
    std::vector<const ReceiveConnector*> connectors;
};

// Bindings in rule order; "0.0.0.0:25" and "[::]:25" are one service (inet_interfaces and
// inet_protocols decide the addresses), as are connectors sharing a binding.
std::vector<Service> plan_services(const Ruleset& rules) {
    std::vector<Service> out;
    for (const auto& c : rules.receive_connectors) {
        for (const auto& b : c.bind) {
            std::string name = master_service_name(b);
            auto it = std::find_if(out.begin(), out.end(), [&](const Service& s) { return s.name == name; });
            if (it == out.end()) {
                Service s;
                s.name = name;
                s.port = b.port;
                s.any = any_address(b);
                s.ipv6 = !s.any && !b.address->v4;
                out.push_back(std::move(s));
                it = std::prev(out.end());
            }
            add_once(it->binds, b.to_string());
            add_once(it->connectors, &c);
        }
    }
    return out;
}

// One "-o name=value" line. master.cf splits on whitespace unless the override is braced.
std::string override_line(const std::string& name, const std::string& value) {
    for (char c : value) {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f || c == '{' || c == '}')
            throw ExportError("receive connector daemon_name '" + printable(value) +
                              "' cannot be written to master.cf (control character or brace)");
    }
    std::string v = postfix_text::literal(value);
    if (v.find(' ') != std::string::npos) return "  -o { " + name + " = " + v + " }\n";
    return "  -o " + name + "=" + v + "\n";
}

std::string names_of(const std::vector<const ReceiveConnector*>& cs) {
    std::string out;
    for (const auto* c : cs) out += (out.empty() ? "" : ", ") + c->name;
    return out;
}

using comment_text::join;

std::string service_text(const Service& s, const std::map<const ReceiveConnector*, std::string>& derived,
                         const MasterOptions& options) {
    auto [explicit_names, unnamed, name] = listener_names(s.connectors, derived);
    std::uint64_t size = 0;
    bool all_require_tls = true, sasl = false, plain_basic = false;
    for (const auto* c : s.connectors) {
        size = std::max(size, c->max_message_size);
        all_require_tls = all_require_tls && c->require_tls;
        if (c->has(AuthMechanism::basic) || c->has(AuthMechanism::basic_require_tls)) sasl = true;
        if (c->has(AuthMechanism::basic)) plain_basic = true;
    }

    std::string out = "\n";
    std::string about = std::string(s.connectors.size() == 1 ? "Receive connector " : "Receive connectors ") +
                        names_of(s.connectors) + " (bind " + join(s.binds) + ")";
    if (!explicit_names.empty()) about += ", daemon_name " + name;
    about += ".";
    if (s.any && s.port == 25)
        about += " Replaces the stock \"smtp inet n - y - - smtpd\" line; inet_interfaces and inet_protocols decide "
                 "the addresses.";
    else if (s.any)
        about += " inet_interfaces and inet_protocols decide the addresses.";
    if (explicit_names.empty())
        about += std::string(" No daemon_name: the milter and the policy service know no connector by the name below") +
                 " (it labels the service in logs) and match by the daemon address and port against bind.";
    if (all_require_tls) about += " No MAIL before STARTTLS.";
    if (sasl)
        about += std::string(" Postfix runs SMTP AUTH here") + (plain_basic ? "" : ", only after STARTTLS") +
                 ": set up its SASL (smtpd_sasl_type, smtpd_sasl_path; e.g. Dovecot, see Postfix's SASL_README); "
                 "mailwarden sees the login as {auth_authen}.";
    out += comment(about);
    if (explicit_names.size() > 1)
        out += comment("warning: connectors " + names_of(s.connectors) + " share this binding with different daemon_names (" +
                       join(explicit_names) + "), but a Postfix service has one: only '" + name +
                       "' reaches the milter here. Give them one daemon_name, or separate bindings.");
    if (!explicit_names.empty() && !unnamed.empty())
        out += comment("warning: " + names_of(unnamed) + " has no daemon_name and shares this binding with connectors named '" +
                       name + "': the milter chooses among those only, so " + names_of(unnamed) +
                       " is never chosen here. Give it daemon_name = \"" + name + "\".");
    out += s.name + " inet n - y - - smtpd\n";
    if (options.milter) out += override_line("milter_macro_daemon_name", name);
    if (options.policy_service) out += override_line("smtpd_policy_service_policy_context", name);
    out += "  -o message_size_limit=" + std::to_string(size) + "\n";
    if (all_require_tls) out += "  -o smtpd_tls_security_level=encrypt\n";
    if (sasl) out += "  -o smtpd_sasl_auth_enable=yes\n";
    if (sasl && !plain_basic) out += "  -o smtpd_tls_auth_only=yes\n";
    return out;
}

}  // namespace

std::string master_service_name(const Endpoint& bind) {
    if (any_address(bind)) return bind.port == 25 ? "smtp" : std::to_string(bind.port);
    return bind.to_string();  // "127.0.0.1:2525", "[::1]:2525"
}

std::uint64_t largest_message_size(const Ruleset& rules) {
    std::uint64_t size = 0;
    for (const auto& c : rules.receive_connectors) size = std::max(size, c.max_message_size);
    return size;
}

std::string master_cf_section(const Ruleset& rules, const MasterOptions& options) {
    auto services = plan_services(rules);
    auto derived = derived_daemon_names(rules);
    std::string out = comment(
        "One smtpd service per receive-connector binding, chrooted (y) as Debian ships smtpd. Each carries "
        "the connector's daemon_name, which is how mailwarden's milter and policy service tell the "
        "connectors apart; connectors sharing a binding are then told apart by the client's address "
        "(their remote ranges). Limits Postfix enforces itself follow the connector.");
    std::vector<std::string> v6;
    for (const auto& s : services)
        if (s.ipv6) v6.push_back(s.name);
    if (!v6.empty())
        out += comment("IPv6 services (" + join(v6) + ") need inet_protocols = all (or ipv6) in main.cf.");
    std::map<std::uint16_t, std::vector<std::string>> by_port;
    for (const auto& s : services) by_port[s.port].push_back(s.name);
    for (const auto& [port, names] : by_port) {
        bool has_any = std::any_of(services.begin(), services.end(), [&, p = port](const Service& s) { return s.any && s.port == p; });
        if (has_any && names.size() > 1)
            out += comment("warning: services " + join(names) + " all listen on port " + std::to_string(port) +
                           ": one of them listens on every address, so Postfix cannot open the others.");
    }
    for (const auto& s : services) out += service_text(s, derived, options);
    for (const auto& c : rules.receive_connectors) {
        if (!c.bind.empty()) continue;
        out += "\n";
        if (c.daemon_name)
            out += comment("Receive connector " + c.name + " has no bind: add \"-o milter_macro_daemon_name=" +
                           *c.daemon_name + "\" and \"-o smtpd_policy_service_policy_context=" + *c.daemon_name +
                           "\" to the smtpd service it should judge.");
        else
            out += comment("Receive connector " + c.name + " has neither bind nor daemon_name: no service reaches it.");
    }
    return out;
}

}  // namespace mw::postfix
