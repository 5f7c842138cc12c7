#include "policy/ruleset.hpp"

#include <algorithm>

#include "core/enum_names.hpp"

namespace mw::policy {

const Group* Ruleset::find_group(std::string_view name) const {
    auto it = std::find_if(groups.begin(), groups.end(), [&](const Group& g) { return g.name == name; });
    return it == groups.end() ? nullptr : &*it;
}

const ReceiveConnector* Ruleset::find_receive_connector(std::string_view name) const {
    auto it = std::find_if(receive_connectors.begin(), receive_connectors.end(),
                           [&](const ReceiveConnector& c) { return c.name == name; });
    return it == receive_connectors.end() ? nullptr : &*it;
}

bool ReceiveConnector::has(AuthMechanism m) const {
    return std::find(auth.begin(), auth.end(), m) != auth.end();
}

}  // namespace mw::policy

namespace mw::policy {

namespace {
constexpr const char* right_names[right_count] = {
    "submit",
    "accept-any-recipient",
    "accept-any-sender",
    "accept-authoritative-domain-sender",
    "accept-organization-headers",
    "accept-routing-headers",
    "bypass-anti-spam",
    "etrn",
};
constexpr const char* group_names[] = {"anonymous", "users", "partners", "servers"};
}  // namespace

const char* to_string(Right r) { return right_names[static_cast<int>(r)]; }

std::optional<Right> right_from_string(std::string_view s) {
    for (int i = 0; i < right_count; ++i)
        if (s == right_names[i]) return static_cast<Right>(i);
    return std::nullopt;
}

const char* to_string(PermissionGroup g) { return group_names[static_cast<int>(g)]; }

std::optional<PermissionGroup> permission_group_from_string(std::string_view s) {
    for (int i = 0; i < 4; ++i)
        if (s == group_names[i]) return static_cast<PermissionGroup>(i);
    return std::nullopt;
}

// Exchange's permission groups (README "Receive connectors and permission groups"), with one deliberate
// difference: anonymous does not get accept-authoritative-domain-sender, so by default nobody
// unauthenticated may use our own domains as sender.
Rights default_rights(PermissionGroup g) {
    switch (g) {
        case PermissionGroup::anonymous:
            return bit(Right::submit) | bit(Right::accept_any_sender) | bit(Right::accept_routing_headers);
        case PermissionGroup::users:
            return bit(Right::submit) | bit(Right::accept_any_recipient) | bit(Right::accept_routing_headers) |
                   bit(Right::bypass_anti_spam);
        case PermissionGroup::partners:
            return bit(Right::submit) | bit(Right::accept_routing_headers);
        case PermissionGroup::servers:
            return all_rights;
    }
    return 0;
}

std::string AddressPattern::str() const {
    switch (kind) {
        case Kind::address: return value;
        case Kind::domain: return "@" + value;
        case Kind::subdomains: return "@*." + value;
        case Kind::group: return "group:" + value;
        case Kind::list: return "file:" + value;
        case Kind::inside: return "inside";
        case Kind::outside: return "outside";
        case Kind::any: return "any";
    }
    return value;
}

std::string SmartHost::str() const {
    if (bracketed) return "[" + host + "]:" + std::to_string(port);
    return port == 25 ? host : host + ":" + std::to_string(port);
}

// Shared by the loader (`smart_hosts`) and the socketmap (Postfix hands our next hops back verbatim
// as TLS policy keys), so both read a host the same way.
std::optional<SmartHost> parse_smart_host(std::string_view s) {
    SmartHost h;
    std::string_view host, port;
    if (s.starts_with("[")) {
        std::size_t close = s.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        h.bracketed = true;
        host = s.substr(1, close - 1);
        std::string_view rest = s.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') return std::nullopt;
            port = rest.substr(1);
            if (port.empty()) return std::nullopt;
        }
    } else {
        std::size_t colon = s.find(':');
        if (colon != std::string_view::npos && s.find(':', colon + 1) != std::string_view::npos) return std::nullopt;
        host = s.substr(0, colon);
        if (colon != std::string_view::npos) {
            port = s.substr(colon + 1);
            if (port.empty()) return std::nullopt;
        }
    }
    if (auto ip = parse_ip(host); ip && (h.bracketed || ip->v4)) {
        h.host = ip->to_string();
    } else if (auto d = normalize_domain(host); d && !d->empty() && host.find('[') == std::string_view::npos) {
        h.host = *d;
    } else {
        return std::nullopt;
    }
    if (!port.empty()) {
        if (port.size() > 5 || !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }))
            return std::nullopt;
        int p = std::stoi(std::string(port));
        if (p < 1 || p > 65535) return std::nullopt;
        h.port = static_cast<std::uint16_t>(p);
    }
    return h;
}

bool RuleCondition::empty() const {
    return !from && !to && !from_scope && !to_scope && !subject_contains && !subject_matches &&
           header_contains.empty() && header_matches.empty() && !any_header_matches && !size_over &&
           !authenticated && !tls && !domain_secure && !needs_content();
}

namespace {

template <typename Entries>
RuleGate gate(RuleGate::Field field, const Entries& entries, std::size_t header_set = 0) {
    RuleGate g{field, header_set, {}};
    for (const auto& e : entries) g.ids.push_back(e.id);
    return g;
}

}  // namespace

// The first present condition in the order evaluate_condition (engine_transport_rules.cpp) takes
// them; a change to one order is a change to both.
RuleGate gate_of(const RuleCondition& c) {
    using F = RuleGate::Field;
    if (c.from || c.to || c.from_scope || c.to_scope) return {};
    if (c.subject_contains) return gate(F::subject, *c.subject_contains);
    if (c.subject_matches) return gate(F::subject, *c.subject_matches);
    if (!c.header_contains.empty()) return gate(F::header, c.header_contains.front().texts, c.header_contains.front().set);
    if (!c.header_matches.empty()) {
        const HeaderRegex& h = c.header_matches.front();
        return {F::header, h.set, {h.pattern.id}};
    }
    if (c.any_header_matches) return gate(F::any_header, *c.any_header_matches);
    if (c.size_over || c.authenticated || c.tls || c.domain_secure) return {};
    if (c.attachment_name_matches) return gate(F::attachment_name, *c.attachment_name_matches);
    if (c.attachment_extension) return {};
    if (c.attachment_type) return gate(F::attachment_type, *c.attachment_type);
    if (c.attachment_size_over) return {};
    if (c.body_contains) return gate(F::body, *c.body_contains);
    if (c.body_matches) return gate(F::body, *c.body_matches);
    return {};
}

bool RuleCondition::needs_content() const {
    return attachment_name_matches || attachment_extension || attachment_type || attachment_size_over ||
           body_contains || body_matches || mime_malformed || part_count_over;
}

const char* to_string(SendTls t) {
    static constexpr const char* names[] = {"none", "opportunistic", "encryption-only", "certificate-validation",
                                            "domain-validation", "dane"};
    return enum_name(t, names, "none");
}

TlsVersion tls_version_of(std::string_view text) {
    // Postfix and OpenSSL write "TLSv1.2"; Sendmail's {tls_version} is the same.
    if (text == "TLSv1.3") return TlsVersion::tls1_3;
    if (text == "TLSv1.2") return TlsVersion::tls1_2;
    if (text == "TLSv1.1") return TlsVersion::tls1_1;
    if (text == "TLSv1" || text == "TLSv1.0") return TlsVersion::tls1_0;
    return TlsVersion::any;
}

const char* to_string(TlsVersion v) {
    static constexpr const char* names[] = {"any", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"};
    return enum_name(v, names, "any");
}

const std::string* Ruleset::domain_security_ca_file() const {
    return domain_security && !domain_security->ca_file.empty() ? &domain_security->ca_file : nullptr;
}

}  // namespace mw::policy
