// Names of enumerators from a table in declaration order, so that a to_string function reads as the
// list of words it is. A value outside the table (a corrupt record, a cast) gets `fallback`.
#pragma once

#include <cstddef>

namespace mw {

template <typename Enum, std::size_t N>
constexpr const char* enum_name(Enum value, const char* const (&names)[N], const char* fallback) {
    auto i = static_cast<std::size_t>(value);
    return i < N ? names[i] : fallback;
}

}  // namespace mw
