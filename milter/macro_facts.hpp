// Milter macros -> policy facts, for each MTA (RULES.md, notes on Postfix and Sendmail). Pure: the
// libmilter callbacks hand in a lookup function, so this is tested without an MTA.
//
// The two MTAs report TLS client certificates differently, and a missing fact must fail closed:
// - Postfix sends `{cert_subject}` / `{cert_issuer}` as the CN only, and only for certificates it
//   verified against smtpd_tls_CAfile; it sends no `{verify}`. Present = verified.
// - Sendmail sends full, xtext-encoded DNs for every certificate, trusted or not; only
//   `{verify}` = "OK" means verified.
// - Any other MTA (unknown `v`): a certificate is never treated as verified.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "policy/facts.hpp"

namespace mw::milter {

// Returns a macro's value, or nullopt when the MTA did not send it.
using MacroLookup = std::function<std::optional<std::string>(const char* name)>;

// From the `v` macro: "Postfix 3.7.11" -> postfix, "8.17.1" -> sendmail; anything else (or absent)
// -> standalone, which here means "unknown milter peer": nothing MTA-specific is trusted.
policy::Mta identify_mta(const std::optional<std::string>& v);

// Sendmail's xtext (RFC 3461): "+XX" hex escapes, e.g. "/O=Partner+20Org/CN=mx". Malformed escapes
// are kept as written.
std::string decode_xtext(std::string_view text);

// TLS facts from `{tls_version}`, `{cipher}`, `{cert_subject}`, `{cert_issuer}`, `{verify}`,
// `{cert_fp}` (Sendmail, with CertFingerprintAlgorithm=sha256); nullopt without `{tls_version}`.
std::optional<policy::TlsFacts> tls_facts(policy::Mta mta, const MacroLookup& macro);

// Canonical upper-case hex without colons ("AB:cd:01" -> "ABCD01"); nullopt unless it is 64 hex
// digits (SHA-256).
std::optional<std::string> normalize_sha256(std::string_view fingerprint);

}  // namespace mw::milter
