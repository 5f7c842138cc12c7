// SASL PLAIN (RFC 4616) and LOGIN for SMTP AUTH (RFC 4954): base64 and the decoding of the
// client's answers. Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mw::smtp::server {

std::string base64_encode(std::string_view bytes);
// Strict: RFC 4648 alphabet, padding required, no whitespace. nullopt when malformed.
std::optional<std::string> base64_decode(std::string_view text);

struct PlainCredentials {
    std::string authzid;  // usually empty; when set it must equal authcid (no proxy logins)
    std::string authcid;
    std::string password;
};
// "authzid\0authcid\0password" (already base64-decoded). nullopt when malformed (wrong number of
// NULs, empty authcid or password).
std::optional<PlainCredentials> parse_plain(std::string_view decoded);

}  // namespace mw::smtp::server
