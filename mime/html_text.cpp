#include "mime/html_text.hpp"

#include <array>
#include <cstdint>

#include "mime/utf8.hpp"

namespace mw::mime {

namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
bool is_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// Where "</NAME" starts at or after `from`, case-insensitively; npos when absent. Each position is
// compared against the fixed, short needle once, so this is linear in what it skips.
std::size_t find_end_tag(std::string_view text, std::string_view name, std::size_t from) {
    for (std::size_t i = text.find("</", from); i != std::string_view::npos; i = text.find("</", i + 1)) {
        if (i + 2 + name.size() > text.size()) return std::string_view::npos;
        bool match = true;
        for (std::size_t k = 0; k < name.size() && match; ++k) match = lower(text[i + 2 + k]) == name[k];
        if (match) return i;
    }
    return std::string_view::npos;
}

// The tags after which a reader sees a new line (HTML block-level elements and <br>).
bool breaks_line(std::string_view name) {
    static constexpr std::array<std::string_view, 22> names = {
        "br", "p", "div", "li", "tr", "td", "th", "table", "ul", "ol", "h1", "h2", "h3",
        "h4", "h5", "h6", "hr", "blockquote", "pre", "title", "section", "article"};
    for (auto n : names) {
        if (n == name) return true;
    }
    return false;
}

// Decodes the character reference at text[i] == '&' into `out`; returns the bytes consumed, or 0
// when it is none of the known forms (then the '&' is text).
std::size_t decode_reference(std::string_view text, std::size_t i, std::string& out) {
    // The longest reference handled is "&#x10FFFF;" or a named one of a few letters.
    const std::size_t end = text.find(';', i + 1);
    if (end == std::string_view::npos || end - i > 10) return 0;
    const std::string_view body = text.substr(i + 1, end - i - 1);
    if (body.size() >= 2 && body[0] == '#') {
        const bool hex = body[1] == 'x' || body[1] == 'X';
        const std::string_view digits = body.substr(hex ? 2 : 1);
        if (digits.empty()) return 0;
        std::uint32_t value = 0;
        for (char c : digits) {
            unsigned digit = 0;
            if (c >= '0' && c <= '9') {
                digit = static_cast<unsigned>(c - '0');
            } else if (hex && lower(c) >= 'a' && lower(c) <= 'f') {
                digit = static_cast<unsigned>(lower(c) - 'a' + 10);
            } else {
                return 0;
            }
            value = value * (hex ? 16 : 10) + digit;  // at most 8 digits: no overflow
        }
        append_utf8(out, value == 0 ? char32_t{0xFFFD} : static_cast<char32_t>(value));
        return end - i + 1;
    }
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 6> named = {{
        {"amp", "&"}, {"lt", "<"}, {"gt", ">"}, {"quot", "\""}, {"apos", "'"},
        // A plain space, not U+00A0: body_contains "click here" must match "click&nbsp;here".
        {"nbsp", " "},
    }};
    for (auto [name, value] : named) {
        if (body == name) {
            out += value;
            return end - i + 1;
        }
    }
    return 0;
}

}  // namespace

std::string html_to_text(std::string_view html) {
    std::string out;
    out.reserve(html.size() / 2);
    std::size_t i = 0;
    while (i < html.size()) {
        const char c = html[i];
        if (c == '&') {
            const std::size_t used = decode_reference(html, i, out);
            if (used == 0) {
                out += '&';
                ++i;
            } else {
                i += used;
            }
            continue;
        }
        if (c != '<') {
            out += c;
            ++i;
            continue;
        }
        if (html.substr(i, 4) == "<!--") {
            const std::size_t end = html.find("-->", i + 4);
            if (end == std::string_view::npos) break;
            i = end + 3;
            continue;
        }
        const std::size_t close = html.find('>', i + 1);
        if (close == std::string_view::npos) break;
        std::size_t n = i + 1;
        const bool end_tag = n < close && html[n] == '/';
        if (end_tag) ++n;
        std::string name;
        while (n < close && is_name_char(html[n]) && name.size() < 16) name += lower(html[n++]);
        i = close + 1;
        if (!end_tag && (name == "script" || name == "style")) {
            // Their contents are code, not text (HTML "raw text elements"): skip to the end tag.
            const std::size_t end = find_end_tag(html, name, i);
            if (end == std::string_view::npos) break;
            const std::size_t end_close = html.find('>', end);
            if (end_close == std::string_view::npos) break;
            i = end_close + 1;
            continue;
        }
        if (breaks_line(name)) out += '\n';
    }
    return out;
}

}  // namespace mw::mime
