// UTF-8 helpers for the body text: the rules match it as UTF-8 (PCRE2 in UTF mode, Hyperscan), so
// what the inspection hands over must be valid UTF-8 whatever the message claimed its charset was.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace mw::mime {

// Appends the UTF-8 form of `code_point`; a surrogate or a value over U+10FFFF becomes U+FFFD.
void append_utf8(std::string& out, char32_t code_point);

// `text` with every ill-formed sequence (a stray continuation byte, a truncated, overlong or
// surrogate sequence, a value over U+10FFFF; RFC 3629 section 3) replaced by U+FFFD, one per byte
// that cannot start or continue a well-formed character. Linear.
std::string valid_utf8(std::string_view text);

// The longest prefix of the valid UTF-8 `text` that is at most `max_bytes` long and does not end
// inside a character.
std::size_t utf8_prefix_length(std::string_view text, std::size_t max_bytes);

}  // namespace mw::mime
