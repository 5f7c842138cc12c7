// Text helpers for the Postfix export: comments that cannot break out of their line, and setting
// values that Postfix reads back as written.
#pragma once

#include <string>
#include <string_view>

namespace mw::daemon::postfix_text {

// Names from the rules go into comments; a control character (a newline in a connector name) would
// end the comment and turn the rest into a setting.
inline std::string printable(std::string_view s) {
    std::string out;
    for (char c : s) out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
    return out;
}

// A paragraph as "# " lines, word-wrapped at `width` columns (a longer word gets a line of its own).
inline std::string comment(std::string_view paragraph, std::size_t width = 100) {
    std::string text = printable(paragraph), out, line;
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t end = text.find(' ', pos);
        if (end == std::string::npos) end = text.size();
        std::string word = text.substr(pos, end - pos);
        pos = end + 1;
        if (word.empty()) continue;
        if (!line.empty() && 2 + line.size() + 1 + word.size() > width) {
            out += "# " + line + "\n";
            line.clear();
        }
        line += (line.empty() ? "" : " ") + word;
    }
    if (!line.empty()) out += "# " + line + "\n";
    return out;
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

}  // namespace mw::daemon::postfix_text
