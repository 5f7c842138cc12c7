// Comments in the MTA configuration the exports print: text from the rules that cannot break out of
// its comment line, word-wrapped behind the comment marker of the target file ("# " for Postfix,
// "dnl " for Sendmail's m4).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mw::comment_text {

// Names listed in a comment: "a, b, c".
inline std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
    return out;
}

// Names from the rules go into comments; a control character (a newline in a connector name) would
// end the comment and turn the rest into configuration.
inline std::string printable(std::string_view s) {
    std::string out;
    for (char c : s) out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
    return out;
}

// A paragraph as `marker` lines, word-wrapped at `width` columns (a longer word gets a line of its
// own).
inline std::string wrapped(std::string_view paragraph, std::string_view marker, std::size_t width = 100) {
    std::string text = printable(paragraph), out, line;
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t end = text.find(' ', pos);
        if (end == std::string::npos) end = text.size();
        std::string word = text.substr(pos, end - pos);
        pos = end + 1;
        if (word.empty()) continue;
        if (!line.empty() && marker.size() + line.size() + 1 + word.size() > width) {
            out.append(marker).append(line).append("\n");
            line.clear();
        }
        line += (line.empty() ? "" : " ") + word;
    }
    if (!line.empty()) out.append(marker).append(line).append("\n");
    return out;
}

}  // namespace mw::comment_text
