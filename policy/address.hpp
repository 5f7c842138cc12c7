// RFC 5321 mailbox parsing and normalization, as README "Address patterns" defines it.
//
// - Domains: lower-cased, trailing dot removed, IDN (U-labels) converted to A-labels (xn--), so
//   Unicode and punycode spellings compare equal. Address literals ([192.0.2.1]) are kept as written.
// - Local parts: compared case-insensitively, so stored lower-cased. A quoted local part whose
//   content is a valid dot-atom is unquoted ("abc"@x == abc@x); otherwise it keeps its quotes and
//   escapes are resolved to a canonical quoted form.
// - '%' and '!' are never routing: "a%b@example.com" is local part "a%b" at example.com.
// - A source route "@x,@y:u@z" is judged by its final address u@z (RFC 5321 section 4.1.2, C.).
// - "<>" is the null reverse path.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mw {

struct Address {
    std::string local;   // normalized local part (lower-case; quoted form if it needs quotes)
    std::string domain;  // normalized domain: lower-case A-labels, no trailing dot
    bool null = false;   // the null reverse path <>
    // True when the local part holds a character Postfix/Sendmail may treat as routing in a local
    // domain: '%', '!', or an '@' inside quotes (README "Address patterns": such recipients need accept-any-recipient).
    bool has_routing_characters = false;

    std::string str() const;  // "local@domain", or "" for the null path
    bool operator==(const Address&) const = default;
};

struct AddressParse {
    std::optional<Address> address;
    std::string error;  // e.g. "missing domain", "unbalanced quote", "invalid domain 'a..b'"
};

// Parses a path as given in MAIL FROM/RCPT TO: with or without angle brackets ("<u@d>", "u@d"),
// optionally with a source route. Never throws; malformed input returns an error text.
// A bare local part without '@' is an error (mailwarden does not guess a domain).
AddressParse parse_address(std::string_view text);

// Normalizes a domain name (lower-case, strip one trailing dot, IDN to A-labels, validate labels).
// Returns nullopt if it is not a valid domain name (or address literal).
std::optional<std::string> normalize_domain(std::string_view domain);

// True if `domain` equals `pattern`, for a plain pattern; for a wildcard pattern (subdomains=true)
// true only for proper subdomains of `pattern` (README "Address patterns": "*.d" never includes d).
bool domain_matches(std::string_view domain, std::string_view pattern, bool subdomains);

}  // namespace mw
