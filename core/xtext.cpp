#include "core/xtext.hpp"

namespace mw::xtext {

namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

// The byte escaped at text[i] ("+XX"), or -1 when text[i] does not start a valid escape.
int escaped_byte(std::string_view text, std::size_t i) {
    if (text[i] != '+' || i + 2 >= text.size()) return -1;
    int hi = hex_value(text[i + 1]), lo = hex_value(text[i + 2]);
    return hi < 0 || lo < 0 ? -1 : hi << 4 | lo;
}

bool is_xchar(unsigned char c) { return c >= '!' && c <= '~' && c != '+' && c != '='; }

}  // namespace

std::optional<std::string> decode(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '+') {
            int byte = escaped_byte(text, i);
            if (byte < 0) return std::nullopt;
            out += static_cast<char>(byte);
            i += 2;
        } else if (is_xchar(static_cast<unsigned char>(text[i]))) {
            out += text[i];
        } else {
            return std::nullopt;
        }
    }
    return out;
}

std::string decode_lenient(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (int byte = escaped_byte(text, i); byte >= 0) {
            out += static_cast<char>(byte);
            i += 2;
        } else {
            out += text[i];
        }
    }
    return out;
}

std::string encode(std::string_view text) {
    static constexpr char digits[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(text.size());
    for (unsigned char c : text) {
        if (is_xchar(c)) {
            out += static_cast<char>(c);
        } else {
            out += '+';
            out += digits[c >> 4];
            out += digits[c & 0xf];
        }
    }
    return out;
}

}  // namespace mw::xtext
