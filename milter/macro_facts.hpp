// Milter macros -> policy facts, for each MTA (README "The milter", "What Sendmail shows"). Pure: the
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

// TLS facts from `{tls_version}`, `{cipher}`, `{cert_subject}`, `{cert_issuer}`, `{verify}`,
// `{cert_fp}` (Sendmail, with CertFingerprintAlgorithm=sha256); nullopt without `{tls_version}`.
std::optional<policy::TlsFacts> tls_facts(policy::Mta mta, const MacroLookup& macro);

}  // namespace mw::milter
