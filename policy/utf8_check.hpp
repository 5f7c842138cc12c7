// Whether bytes are well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing above
// U+10FFFF), the input Hyperscan's UTF-8 mode requires (policy/pattern_set.cpp), and whether they
// are pure ASCII, where Hyperscan's caseless matching and PCRE2's agree on every letter.
#pragma once

#include <string_view>

namespace mw::policy {

enum class Utf8Kind { ascii, multibyte, invalid };

// One pass; ASCII runs go eight bytes at a time (a message body is mostly ASCII).
Utf8Kind classify_utf8(std::string_view s);

inline bool valid_utf8(std::string_view s) { return classify_utf8(s) != Utf8Kind::invalid; }

}  // namespace mw::policy
