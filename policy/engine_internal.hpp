// Helpers shared by the engine's stage files (engine_*.cpp), the Postfix lookup tables
// (postfix_maps.cpp) and the loader's cross-checks; not part of the engine API.
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

// What the sender domain demands of the client certificate (README "Replies", MAIL order step 3).
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
// `tentative_partner`: count partners although domain_secure is not yet set (Postfix mode, a
// pinned sender domain whose check waits for RCPT; see engine_mail.cpp).
void assign_groups(MailContext& context, bool tentative_partner = false);
std::string describe_rights(Rights rights);
std::string describe_groups(const std::vector<PermissionGroup>& groups);
bool has_group(const MailContext& context, PermissionGroup g);

// --- headers (engine_headers.cpp) ----------------------------------------------------------------
// RFC 8601 authserv-id of an Authentication-Results value: CFWS skipped, then a quoted-string or a
// token (up to whitespace or an RFC 2045 tspecial), one trailing dot dropped, lower-cased; "" when
// there is no value to parse (the header is then not ours and stays).
std::string authserv_id(std::string_view value);
// Header values as the rules see them: folding (CRLF + WSP) removed.
std::string unfold(std::string_view value);
// A field name without the whitespace some MTAs leave before the colon.
std::string_view field_name(const HeaderField& f);

// A message's header section while the message stage works on it.
struct MessageState {
    const HeaderFacts& headers;
    std::vector<bool> removed;           // per arrived field: removed by the firewall or a rule
    std::vector<bool> firewalled;        // per arrived field: removed by the firewall (rules see the rest)
    std::vector<HeaderEdit> additions;   // add / set / prepend_subject, in rule order
    explicit MessageState(const HeaderFacts& h)
        : headers(h), removed(h.fields.size(), false), firewalled(h.fields.size(), false) {}
};
// README "Headers": forged organization stamps and, without accept-routing-headers, Received and
// Resent-* fields are marked removed.
void header_firewall(const Ruleset& rules, Rights rights, MessageState& state, Trace& trace);
// Removal edits for the marked fields: 1-based index among same-named fields (case-insensitive, in
// arrival order), highest index first for each name, so Postfix's renumbering after each deletion
// and Sendmail's fixed numbering give the same result.
std::vector<HeaderEdit> removal_edits(const MessageState& state);
// Our stamps for an accepted message: domain secure, AuthAs, Authentication-Results, and the
// Exchange-compatible fields when configured.
std::vector<HeaderEdit> stamps(const Ruleset& rules, const SessionFacts& facts, const MailContext& context,
                               Trace& trace);

// --- transport rules (engine_transport_rules.cpp) -----------------------------------------------
// Runs [[transport_rule]] in (priority, order); fills the verdict, edits and recipient changes.
// `content` may be null (not inspected): content conditions then fail closed.
void apply_transport_rules(const Ruleset& rules, const SessionFacts& facts, const MailContext& context,
                           const std::vector<Address>& recipients, std::uint64_t size,
                           const MessageContent* content, MessageState& state, MessageResult& result);

// A rule's reply ("450 4.7.1 ..." or "550 5.7.1 ..."): the code class decides the action — 4xx
// tempfails, 5xx rejects — so a reply the loader accepted never turns into 451 4.3.0 (make_reply's
// class check) nor into the wrong kind of failure.
Verdict reply_from_template(const ReplyTemplate& t, std::string rule);

// Records the exception being handled in the trace ("internal error at STAGE: what"); never shown
// to clients. Never throws: it runs inside the catch blocks that turn failures into 451 4.3.0.
void trace_internal_error(Trace& trace, std::string_view stage) noexcept;

// A stage reached without the MAIL context it needs (no connector) fails closed with 451 4.3.0.
// True when it did: the caller returns `r` as it is.
template <typename Result>
bool missing_context(const MailContext& ctx, Result& r, std::string_view stage) {
    if (ctx.connector) return false;
    r.verdict = internal_error("no receive connector");
    r.trace.push_back(std::string(stage) + " without a MAIL context: fails closed");
    return true;
}

// Runs a stage that may throw; any exception becomes 451 4.3.0 ("internal error at STAGE") with a
// trace line, so no stage ever answers from half an evaluation. `Result` has `verdict` and `trace`.
template <typename Result, typename Evaluate>
Result guarded_stage(std::string_view stage, Evaluate&& evaluate) noexcept {
    try {
        return evaluate();
    } catch (...) {
        Result r;
        r.verdict = internal_error("internal error at " + std::string(stage));
        trace_internal_error(r.trace, stage);
        return r;
    }
}

// --- routing and outbound TLS (engine_route.cpp) --------------------------------------------------
// The send connector that carries mail for `domain`: the most specific address space, then the
// lowest cost, then file order. Null when the domain is authoritative (delivered here) or no
// address space covers it. `domain` may also be "*.P", meaning "some subdomain of P" (Postfix's
// ".P" policy lookups): as no rule stores a literal "*" label, only "*" and "*.Q" address spaces,
// accepted domains and requirements that cover every subdomain of P match it.
const SendConnector* routing_connector(const Ruleset& rules, std::string_view domain, Trace* trace);

// A connector's own policy. `match_name` is what domain-validation matches without a tls_domain:
// the recipient domain, or the next hop (an empty name) when the recipient domain is unknown.
OutboundTls connector_tls_policy(const SendConnector& connector, const CertificateName& match_name);

// The policy for mail to `domain` (or "*.P", as above) leaving over `connector` — null when no send
// connector routes it (Postfix's own routing) — raised, never lowered, by the domain's send-side
// [[tls_required]], [domain_security] send and Direct Trust pin. nullopt when nothing applies.
// `set_by`, when given, names what decided the result: "send connector Internet", "tls_required
// bank.example", "domain security send partner.example", "direct trust partner.example".
std::optional<OutboundTls> domain_tls_policy(const Ruleset& rules, const SendConnector* connector,
                                             std::string_view domain, Trace* trace, std::string* set_by = nullptr);

// Send-connector routing that lets failures propagate, for callers (RCPT, the socketmap) whose own
// failure handling must answer 451 / TEMP rather than accept a recipient without its route and TLS
// policy.
std::optional<Route> route_impl(const Ruleset& rules, const Address& recipient, Trace* trace);

}  // namespace mw::policy::detail
