// Whether bytes are well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing above
// U+10FFFF), the input Hyperscan's UTF-8 mode requires (policy/pattern_set.cpp).
#pragma once

#include <string_view>

namespace mw::policy {

bool valid_utf8(std::string_view s);

}  // namespace mw::policy
