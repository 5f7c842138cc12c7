// Domain name and address-literal normalization behind normalize_domain(), with the reason a name
// was refused, for parse_address's error texts and the list compiler's diagnostics.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mw {

// As normalize_domain(); on failure `why` says what is wrong, e.g. "invalid domain 'a..b'".
std::optional<std::string> normalize_domain_checked(std::string_view domain, std::string& why);

}  // namespace mw
