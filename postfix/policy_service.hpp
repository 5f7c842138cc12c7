// The Postfix policy service: answers `check_policy_service` requests (SMTPD_POLICY_README).
//
// The shipped Postfix configuration is
//     smtpd_relay_restrictions = check_policy_service unix:mailwarden/policy.sock, reject_unauth_destination
// with allow_percent_hack = no and swap_bangpath = no. Postfix asks at every RCPT, before the
// milter's RCPT event. The service answers OK exactly when mailwarden grants the recipient at
// relay control (an accepted domain, or the session's accept-any-recipient: RcptResult::
// relay_granted) and DUNNO otherwise, so Postfix never relays on its own say-so: after DUNNO its
// reject_unauth_destination decides, and the milter gives mailwarden's own reply at RCPT. Every
// doubt (an unparseable attribute, no receive connector, an internal error) answers DUNNO, which
// can only make Postfix stricter.
//
// Its second job is Direct Trust: the request carries the client certificate's fingerprint, which
// the milter never sees; it is recorded in the CertHandoff for the milter (cert_handoff.hpp).
//
// Pure apart from the hand-off store: the daemon owns the socket, reads requests with
// PolicyRequestReader, and writes format_policy_reply(decision.action) and the log line.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "postfix/cert_handoff.hpp"
#include "postfix/policy_protocol.hpp"
#include "policy/facts.hpp"
#include "policy/ruleset.hpp"

namespace mw::postfix {

struct PolicyDecision {
    std::string action;    // "OK" or "DUNNO", for format_policy_reply
    std::string log_line;  // one line for the mail log (docs/conventions.md "Logs read like Postfix's"), never empty
};

// The session as a policy request describes it, in Postfix mode:
// - daemon_name from `policy_context` when non-empty (the shipped master.cf sets
//   smtpd_policy_service_policy_context to the smtpd service's milter_macro_daemon_name, so the
//   service and the milter pick the same receive connector); local endpoint from
//   `server_address`/`server_port`; client from `client_address`/`client_name`; `helo_name`;
// - `sasl_username` as the login (SMTP AUTH or XCLIENT LOGIN), `sasl_method` as its mechanism;
// - TLS from `encryption_protocol`/`encryption_cipher` (empty: no TLS); a certificate is verified
//   when `ccert_subject` is non-empty (Postfix sends subject and issuer, xtext-encoded, only for
//   trusted certificates), and `ccert_fingerprint` (sent for every certificate) is its sha256 when
//   it is a SHA-256 fingerprint; a fingerprint alone is an unverified certificate.
// nullopt, with `error` set, when `client_address` is not an IP address.
std::optional<policy::SessionFacts> session_facts_from(const Attributes& request, std::string& error);

// Judges one request: only `request=smtpd_access_policy` at `protocol_state=RCPT` (any other state
// answers DUNNO; an unknown or missing `request` too, with a warning). For every access-policy
// request whose four connection values parse, the TLS facts are recorded in `handoff` with time
// `now`. Then connect, MAIL (`sender`, empty = null sender; `size`) and RCPT (`recipient`) are
// evaluated; OK iff MAIL continues and the recipient's relay was granted. Postfix sends addresses
// in its internal form (a quoted local part unquoted): a local part that needs quotes is quoted
// again before parsing, so `"u@victim"@example.com` is judged with its routing '@'. Never throws.
PolicyDecision answer_policy_request(const policy::Ruleset& rules, const Attributes& request, CertHandoff& handoff,
                                     std::chrono::steady_clock::time_point now) noexcept;

}  // namespace mw::postfix
