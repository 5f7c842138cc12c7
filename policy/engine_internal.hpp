// Helpers shared by the engine's stage files (engine_*.cpp); not part of the engine API.
#pragma once

#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/engine.hpp"
#include "policy/matchers.hpp"

namespace mw::policy::detail {

// --- certificates (certificate_match.cpp) --------------------------------------------------------
// The subject CN from "CN=x,O=y" (RFC 4514 order: the first CN), "/O=y/CN=x" (OpenSSL one-line
// order, as Sendmail passes it: the last CN), or a bare CN (Postfix passes only the CN).
std::string certificate_cn(std::string_view subject);
// Exchange-style domain match: the name is D, "*.D", or a host name under D (x.D, a.b.D).
bool certificate_name_matches(std::string_view name, std::string_view domain);
// Upper-case hex without colons or spaces, as the loader stores pins.
std::string normalize_fingerprint(std::string_view hex);

// What the sender domain demands of the client certificate (RULES.md Replies, MAIL order step 3).
struct CertificateRequirement {
    bool domain_security = false;         // [domain_security] receive lists the domain
    const DirectTrustPin* pin = nullptr;  // [domain_security] direct_trust pins it
    std::optional<TlsLevel> tls_level;    // strongest receive-side [[tls_required]] level
    std::string source;                   // the rule that demands it, for Verdict::rule
    bool needed() const {
        return domain_security || pin || tls_level == TlsLevel::verify || tls_level == TlsLevel::domain;
    }
    // Partners are the sessions that passed Domain Security or a Direct Trust pin.
    bool makes_partner() const { return domain_security || pin; }
    bool name_check() const { return domain_security || pin || tls_level == TlsLevel::domain; }
};
CertificateRequirement certificate_requirement(const Ruleset& rules, std::string_view domain);

struct CertificateCheck {
    bool trusted = false;
    std::string reason;  // for the trace: why it passed or failed
};
CertificateCheck check_certificate(const CertificateRequirement& req, std::string_view domain,
                                   const SessionFacts& facts);
// 454 4.7.5 (or 550 5.7.1 with on_failure = "reject" for domain-security domains).
Verdict certificate_failure(const Ruleset& rules, const CertificateRequirement& req, const Address& sender);

// --- groups and rights (engine_mail.cpp) ---------------------------------------------------------
// Fills context.groups (the memberships the connector lists, in enum order) and context.rights
// from context.connector, context.authenticated and context.domain_secure (partners).
void assign_groups(MailContext& context);
std::string describe_rights(Rights rights);
std::string describe_groups(const std::vector<PermissionGroup>& groups);
bool has_group(const MailContext& context, PermissionGroup g);

// --- headers (engine_headers.cpp) ----------------------------------------------------------------
// RFC 8601 authserv-id of an Authentication-Results value: CFWS skipped, up to ';' or whitespace.
std::string authserv_id(std::string_view value);
// Header values as the rules see them: folding (CRLF + WSP) removed.
std::string unfold(std::string_view value);

// Text of an exception for the trace; never shown to clients.
std::string describe_exception(std::exception_ptr e);

}  // namespace mw::policy::detail
