// Domain Security certificate matching: which certificate a sender domain's session must present
// (README "Replies", MAIL step 3; docs/design.md decision 2: the verify result is a fact, policy decides trust).
#include <algorithm>

#include "core/enum_names.hpp"
#include "core/fingerprint.hpp"
#include "policy/engine_internal.hpp"

namespace mw::policy::detail {

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// Splits on `sep`, keeping backslash escapes (RFC 4514 "\,") inside components and resolving them.
std::vector<std::string> split_dn(std::string_view dn, char sep, char alt_sep) {
    std::vector<std::string> out(1);
    for (std::size_t i = 0; i < dn.size(); ++i) {
        char c = dn[i];
        if (c == '\\' && i + 1 < dn.size()) {
            out.back() += dn[++i];
        } else if (c == sep || c == alt_sep) {
            out.emplace_back();
        } else {
            out.back() += c;
        }
    }
    return out;
}

std::optional<std::string> cn_value(std::string_view component) {
    component = trim(component);
    auto eq = component.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    if (!iequals(trim(component.substr(0, eq)), "CN")) return std::nullopt;
    return std::string(trim(component.substr(eq + 1)));
}

std::string describe_names(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "'" : ", '") + n + "'";
    return out.empty() ? "none" : out;
}

const char* level_name(TlsLevel l) {
    static constexpr const char* names[] = {"encrypt", "verify", "domain"};
    return enum_name(l, names, "encrypt");
}

}  // namespace

std::string certificate_cn(std::string_view subject) {
    subject = trim(subject);
    if (subject.empty()) return "";
    if (subject.front() == '/') {
        // OpenSSL's one-line form lists the RDNs from the root down: the last CN is the most specific.
        std::string cn;
        for (const auto& part : split_dn(subject.substr(1), '/', '/'))
            if (auto v = cn_value(part)) cn = *v;
        return cn;
    }
    if (subject.find('=') != std::string_view::npos) {
        // RFC 4514 lists the most specific RDN first; '+' joins attributes of a multi-valued RDN.
        for (const auto& part : split_dn(subject, ',', '+'))
            if (auto v = cn_value(part)) return *v;
        return "";
    }
    return std::string(subject);  // Postfix's {cert_subject}: the CN alone
}

namespace {

// A host name as a certificate may carry one: LDH labels (letters, digits, hyphens) joined by dots,
// no empty label, optionally "*." first. Anything else — a subject parsed into one CN such as
// "evil.example/CN=mx.partner.example", spaces, '=' — names no host and must never match by suffix.
bool is_host_name(std::string_view n) {
    if (n.starts_with("*.")) n.remove_prefix(2);
    if (n.empty()) return false;
    std::size_t label = 0;
    for (char c : n) {
        if (c == '.') {
            if (label == 0) return false;
            label = 0;
            continue;
        }
        bool ldh = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
        if (!ldh) return false;
        ++label;
    }
    return label != 0;
}

}  // namespace

bool certificate_name_matches(std::string_view name, std::string_view domain) {
    std::string n = lower(trim(name));
    if (!n.empty() && n.back() == '.') n.pop_back();
    if (n.empty() || domain.empty() || !is_host_name(n)) return false;
    if (n == domain) return true;
    std::string dotted = "." + std::string(domain);
    if (n == "*" + dotted) return true;
    // Any other wildcard ("*.sub.D", "w*.D") names hosts we cannot pin down: not a match.
    if (n.find('*') != std::string::npos) return false;
    return n.size() > dotted.size() && n.ends_with(dotted) && n[n.size() - dotted.size() - 1] != '.';
}

CertificateRequirement certificate_requirement(const Ruleset& rules, std::string_view domain) {
    CertificateRequirement req;
    if (domain.empty()) return req;
    std::vector<std::string> sources;
    if (rules.domain_security) {
        for (const auto& p : rules.domain_security->receive) {
            if (!p.matches(domain)) continue;
            req.domain_security = true;
            sources.push_back("domain security receive " + p.str());
            break;
        }
        for (const auto& pin : rules.domain_security->direct_trust) {
            if (pin.domain != domain) continue;
            req.pin = &pin;
            sources.push_back("direct trust " + pin.domain);
            break;
        }
    }
    for (const auto& t : rules.tls_required) {
        if (!t.receive || !t.domain.matches(domain)) continue;
        if (t.level == TlsLevel::encrypt) continue;  // TLS alone: checked before, no certificate needed
        if (!req.tls_level || static_cast<int>(t.level) > static_cast<int>(*req.tls_level)) {
            req.tls_level = t.level;
            std::erase_if(sources, [](const std::string& s) { return s.starts_with("tls_required "); });
            sources.push_back("tls_required " + t.domain.str() + " level " + level_name(t.level));
        }
    }
    for (const auto& s : sources) req.source += (req.source.empty() ? "" : ", ") + s;
    return req;
}

CertificateCheck check_certificate(const CertificateRequirement& req, std::string_view domain,
                                   const SessionFacts& facts) {
    if (!facts.tls) return {false, "no TLS"};
    if (!facts.tls->cert) return {false, "no client certificate"};
    const PeerCertificate& cert = *facts.tls->cert;
    if (req.pin) {
        // A pinned domain trusts its pin and nothing else (README "Replies": "pin mismatch" is a
        // failure): a CA-verified certificate with the right name but another key is not the partner's.
        if (!cert.sha256) return {false, "no fingerprint to compare with the Direct Trust pin for " + req.pin->domain};
        if (normalize_sha256(*cert.sha256) != req.pin->sha256)
            return {false, "Direct Trust pin mismatch for " + req.pin->domain};
        return {true, "certificate matches the Direct Trust pin for " + req.pin->domain};
    }
    if (!cert.verified) return {false, "certificate not verified"};
    if (!req.name_check()) return {true, "certificate verified"};
    // RFC 6125 6.4.4: the CN counts only when the certificate has no DNS subjectAltName.
    std::vector<std::string> names;
    const char* where = "subjectAltName";
    if (!cert.sans.empty()) {
        names = cert.sans;
    } else {
        where = "subject CN";
        if (auto cn = certificate_cn(cert.subject); !cn.empty()) names.push_back(cn);
    }
    for (const auto& n : names)
        if (certificate_name_matches(n, domain))
            return {true, "certificate verified, " + std::string(where) + " '" + n + "' matches " + std::string(domain)};
    return {false, std::string("certificate verified but no ") + where + " matches " + std::string(domain) +
                       " (names: " + describe_names(names) + ")"};
}

Verdict certificate_failure(const Ruleset& rules, const CertificateRequirement& req, const Address& sender) {
    // Exchange answers 454 4.7.5 so that a partner's broken certificate queues the mail at the partner
    // instead of bouncing it; on_failure = "reject" applies to Domain Security and Direct Trust domains.
    bool reject = req.makes_partner() && rules.domain_security &&
                  rules.domain_security->on_failure == OnFailure::reject;
    std::string text = "<" + sender.str() + ">: Certificate validation failure for " + sender.domain;
    return reject ? make_reply(Action::reject, 550, "5.7.1", std::move(text), req.source)
                  : make_reply(Action::tempfail, 454, "4.7.5", std::move(text), req.source);
}

}  // namespace mw::policy::detail
