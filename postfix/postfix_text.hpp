// Text helpers for the Postfix export: comments that cannot break out of their line, and setting
// values that Postfix reads back as written.
#pragma once

#include <string>
#include <string_view>

#include "core/comment_text.hpp"

namespace mw::postfix::postfix_text {

using comment_text::printable;

// A paragraph as "# " lines, word-wrapped at `width` columns (a longer word gets a line of its own).
inline std::string comment(std::string_view paragraph, std::size_t width = 100) {
    return comment_text::wrapped(paragraph, "# ", width);
}

// Postfix expands "$name" in every parameter value, in main.cf and in master.cf "-o" alike: a
// literal "$" is written "$$".
inline std::string literal(std::string_view value) {
    std::string out;
    for (char c : value) {
        if (c == '$') out += '$';
        out += c;
    }
    return out;
}

}  // namespace mw::postfix::postfix_text
