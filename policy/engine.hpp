// The policy engine: pure functions from (rules, facts) to decisions, one per SMTP stage.
//
// Every evaluate_* is noexcept: an internal failure (an exception, a list lookup error, a PCRE2
// match error) becomes `451 4.3.0 Temporary policy failure`, never an acceptance. Each result
// carries a trace: the human-readable chain of what was considered and what decided, which
// `mailwarden explain` prints and the front doors log.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "policy/decision.hpp"
#include "policy/facts.hpp"
#include "policy/route.hpp"
#include "policy/ruleset.hpp"

namespace mw::policy {

using Trace = std::vector<std::string>;

// --- connect: which receive connector serves this session -------------------------------------
struct ConnectResult {
    const ReceiveConnector* connector = nullptr;  // null when none matched
    Verdict verdict;                              // accept, or the refusal (README "Replies")
    // Milter mode: the MTAs do not deliver connect-stage replies; the verdict is given at MAIL.
    bool answer_at_mail = false;
    Trace trace;
};
// Standalone: `bind` against the local address/port, then the longest matching `remote` prefix.
// Milter (postfix/sendmail): `daemon_name` first, else the local address/port against `bind`.
ConnectResult evaluate_connect(const Ruleset& rules, const SessionFacts& facts) noexcept;
// A connector the caller names (`explain --connector`): no binding match, but its remote ranges
// still apply, with the same reply as evaluate_connect when they exclude the client.
ConnectResult evaluate_connect_to(const Ruleset& rules, const SessionFacts& facts,
                                  const ReceiveConnector& connector) noexcept;

// --- MAIL ---------------------------------------------------------------------------------------
// State a transaction carries from MAIL to RCPT and the message stage.
struct MailContext {
    const ReceiveConnector* connector = nullptr;
    Address sender;                          // may be the null path
    std::vector<PermissionGroup> groups;     // in enum order
    Rights rights = 0;
    bool authenticated = false;
    // Domain security passed for this sender domain (partner): the stamp's domain.
    std::optional<std::string> domain_secure;
    // Postfix mode: the sender's domain has a Direct Trust pin; its certificate check and the
    // `partners` decision happen at RCPT, where the policy service hands the fingerprint.
    bool certificate_check_at_rcpt = false;
};

struct MailResult {
    Verdict verdict;
    MailContext context;
    Trace trace;
};
// Checks in the order of README "The order of the checks at MAIL": connector require_tls,
// sender-domain TLS requirement, domain-security certificate check (partners), submit, sender
// ownership / anti-spoofing, SIZE parameter.
MailResult evaluate_mail(const Ruleset& rules, const SessionFacts& facts, const ConnectResult& connect,
                         const Address& sender, std::optional<std::uint64_t> size_param) noexcept;

// --- RCPT ---------------------------------------------------------------------------------------
struct RcptResult {
    Verdict verdict;
    // The recipient passed relay control: its domain is accepted, or the session may relay. The
    // Postfix policy service answers OK exactly then (later checks may still refuse it).
    bool relay_granted = false;
    // The connector's max_recipients was reached (452 4.5.3): the client's pipelining ran ahead of
    // the limit, which RFC 5321 4.5.3.1.10 says is no error of the client's.
    bool recipient_limit = false;
    std::optional<Route> route;  // present when the recipient would leave and a connector routes it
    Trace trace;
};
// `context` may be updated (Postfix-mode pinned partner decided here). `accepted_so_far` counts the
// recipients already accepted in this transaction (for max_recipients).
RcptResult evaluate_rcpt(const Ruleset& rules, const SessionFacts& facts, MailContext& context,
                         const Address& recipient, std::size_t accepted_so_far) noexcept;

// Send-connector routing alone (the socketmap's transport lookups use it too). nullopt: no connector's address
// space covers the domain, or the domain is authoritative (delivered here); also on an internal
// failure, which callers that must not guess use find_route to tell apart.
std::optional<Route> route_recipient(const Ruleset& rules, const Address& recipient, Trace* trace) noexcept;
// The same, with an internal failure as an Error: the socketmap answers TEMP then, not NOTFOUND.
Result<std::optional<Route>> find_route(const Ruleset& rules, const Address& recipient, Trace* trace) noexcept;

// The outbound TLS policy when mail for `domain` goes straight to its MX (or, for "*.P", to some
// subdomain of P): the MX-routed send connector's own, raised by the domain's send-side
// [[tls_required]], [domain_security] send and Direct Trust pin. A connector that routes the
// domain through smart hosts has no say here (delivery to it follows the smart host's policy).
// nullopt when nothing applies. May throw only std::bad_alloc.
std::optional<OutboundTls> mx_tls_policy(const Ruleset& rules, std::string_view domain);
// The strongest policy among the send connectors listing `host` as a smart host (on equal
// strength, the first in file order). The recipient domain is unknown under a smart host, so
// domain-validation without tls_domain names the next hop: the smart host itself.
std::optional<OutboundTls> smart_host_tls_policy(const Ruleset& rules, const SmartHost& host);

// --- ETRN (RFC 1985), standalone only --------------------------------------------------------------
// The rights of a session outside a transaction: its groups from the connector and its login
// (partners need a sender domain, so not before MAIL), plus grant, minus deny. EHLO offers ETRN by them.
Rights session_rights(const SessionFacts& facts, const ConnectResult& connect) noexcept;

struct EtrnResult {
    Verdict verdict;  // accept: the caller starts the delivery; else the refusal to answer
    Trace trace;
};
// README "ETRN": the session needs the right `etrn` (502 5.7.0), and the node (`domain`, with
// `subdomains` for the "@domain" form) must be mail that leaves here: a domain delivered here or
// routed by no send connector is not allowed (459 4.7.1, RFC 1985's code).
EtrnResult evaluate_etrn(const Ruleset& rules, const SessionFacts& facts, const ConnectResult& connect,
                         std::string_view domain, bool subdomains) noexcept;

// --- message (end of headers / end of message) ---------------------------------------------------
struct MessageResult {
    Verdict verdict;                    // accept (250 2.0.0 Ok), reject, tempfail, discard, quarantine
    std::vector<HeaderEdit> header_edits;  // removals (highest index first) before additions
    std::vector<Address> add_recipients;   // add_bcc, redirect_to targets
    std::vector<Address> remove_recipients;  // redirect_to removes the original recipients
    std::vector<std::string> rules_applied;  // names of transport rules whose actions ran
    Trace trace;
};
// Size, header firewall, transport rules (priority order, except, stop), then our stamps.
// `content` is the MIME inspection of the whole message (mime/inspect.hpp); front doors pass it
// when rules.needs_content. Without it, a rule's content condition fails closed (451 4.3.0).
MessageResult evaluate_message(const Ruleset& rules, const SessionFacts& facts, const MailContext& context,
                               const std::vector<Address>& recipients, const HeaderFacts& headers,
                               std::uint64_t size, const MessageContent* content = nullptr) noexcept;

}  // namespace mw::policy
