// xtext (RFC 3461 section 4): the encoding of ESMTP parameter values (ENVID, ORCPT, AUTH=) and of
// the certificate DNs Sendmail and Postfix hand to milters and policy services. A byte outside
// "!".."~", and "+" and "=", is written "+XX" with two hexadecimal digits.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mw::xtext {

// Strict decoding of what an SMTP client sent: nullopt when a byte is outside "!".."~", when "="
// appears, or when "+" is not followed by two hex digits (RFC 3461 asks for upper case; lower case
// is accepted, as Postfix does).
std::optional<std::string> decode(std::string_view text);

// Lenient decoding of what an MTA hands us (macros, policy attributes) and of values already
// checked once: a malformed escape is kept as written instead of failing the whole value.
std::string decode_lenient(std::string_view text);

// Encoding, with upper-case hex digits; decode(encode(x)) == x for every x.
std::string encode(std::string_view text);

}  // namespace mw::xtext
