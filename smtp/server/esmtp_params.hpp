// The ESMTP parameters of MAIL and RCPT (RFC 5321 4.1.2 esmtp-param), internal to the command
// parser: splitting, keyword and value syntax, and the value checks of each extension.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "smtp/server/reply.hpp"

namespace mw::smtp::server::detail {

struct EsmtpParam {
    std::string keyword;  // upper-cased (keywords are case-insensitive)
    std::optional<std::string> value;
};

// Splits "SIZE=10 BODY=8BITMIME" (one or more spaces between parameters). 501 5.5.4 for a
// malformed keyword or value, 555 5.5.4 for a keyword given twice.
std::variant<std::vector<EsmtpParam>, Reply> split_params(std::string_view text);

Reply unsupported(std::string_view keyword);   // 555 5.5.4 Unsupported option: KEYWORD
Reply bad_value(const EsmtpParam& param);      // 555 5.5.4 Bad value for option: KEYWORD

// SIZE=: digits only; a value beyond 2^64-1 saturates (it exceeds every limit anyway).
std::optional<std::uint64_t> parse_size(std::string_view value);
// NOTIFY=NEVER or a list of SUCCESS, FAILURE, DELAY (RFC 3461 4.1) -> queue::NotifyFlags.
std::optional<std::uint8_t> parse_notify(std::string_view value);
// ORCPT=addr-type;xtext (RFC 3461 4.2): checked, and returned as given (still xtext-encoded).
std::optional<std::string> parse_orcpt(std::string_view value);

std::string ascii_upper(std::string_view s);
bool ascii_iequals(std::string_view a, std::string_view b);

}  // namespace mw::smtp::server::detail
