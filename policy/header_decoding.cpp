#include "policy/header_decoding.hpp"

#include <cctype>
#include <map>
#include <optional>
#include <vector>

namespace mw {

namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::optional<std::string> base64_decode(std::string_view in) {
    static constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    unsigned buffer = 0;
    int bits = 0;
    for (char c : in) {
        if (c == '=') break;
        auto pos = alphabet.find(c);
        if (pos == std::string_view::npos) return std::nullopt;
        buffer = (buffer << 6) | static_cast<unsigned>(pos);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
        }
    }
    return out;
}

// RFC 2047 "Q": '_' is a space, =XX a byte.
std::optional<std::string> q_decode(std::string_view in) {
    std::string out;
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (in[i] == '_') {
            out.push_back(' ');
        } else if (in[i] == '=') {
            if (i + 2 >= in.size()) return std::nullopt;
            int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
            if (hi < 0 || lo < 0) return std::nullopt;
            out.push_back(static_cast<char>(hi * 16 + lo));
            i += 2;
        } else {
            out.push_back(in[i]);
        }
    }
    return out;
}

std::string latin1_to_utf8(std::string_view in) {
    std::string out;
    for (unsigned char c : in) {
        if (c < 0x80) {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back(static_cast<char>(0xC0 | (c >> 6)));
            out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
        }
    }
    return out;
}

std::string from_charset(std::string_view charset, std::string bytes) {
    std::string cs = lower(charset);
    if (auto star = cs.find('*'); star != std::string::npos) cs.resize(star);  // RFC 2231 language tag
    if (cs == "iso-8859-1" || cs == "latin1" || cs == "iso_8859-1") return latin1_to_utf8(bytes);
    return bytes;
}

// Decodes one encoded-word starting at `at` ("=?"); returns the text and where it ends.
std::optional<std::pair<std::string, std::size_t>> encoded_word(std::string_view s, std::size_t at) {
    auto q1 = s.find('?', at + 2);
    if (q1 == std::string_view::npos || q1 + 2 >= s.size() || s[q1 + 2] != '?') return std::nullopt;
    char encoding = static_cast<char>(std::toupper(static_cast<unsigned char>(s[q1 + 1])));
    auto end = s.find("?=", q1 + 3);
    if (end == std::string_view::npos) return std::nullopt;
    std::string_view charset = s.substr(at + 2, q1 - at - 2), text = s.substr(q1 + 3, end - q1 - 3);
    if (charset.empty() || text.find_first_of(" \t") != std::string_view::npos) return std::nullopt;
    auto bytes = encoding == 'B' ? base64_decode(text) : encoding == 'Q' ? q_decode(text) : std::nullopt;
    if (!bytes) return std::nullopt;
    return std::make_pair(from_charset(charset, std::move(*bytes)), end + 2);
}

}  // namespace

std::string decode_encoded_words(std::string_view s) {
    std::string out;
    std::size_t i = 0;
    bool after_word = false;
    while (i < s.size()) {
        if (s.compare(i, 2, "=?") == 0) {
            if (auto word = encoded_word(s, i)) {
                out += word->first;
                i = word->second;
                after_word = true;
                continue;
            }
        }
        if (after_word && (s[i] == ' ' || s[i] == '\t')) {
            // White space between two encoded-words is not part of the text.
            std::size_t j = s.find_first_not_of(" \t", i);
            if (j != std::string_view::npos && s.compare(j, 2, "=?") == 0 && encoded_word(s, j)) {
                i = j;
                continue;
            }
        }
        after_word = false;
        out.push_back(s[i++]);
    }
    return out;
}

std::string decode_extended_parameters(std::string_view value) {
    // Split at ';' (parameters of Content-Type / Content-Disposition); quoted strings are rare in
    // extended parameters and a ';' inside one only means the rest is kept as written.
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    for (std::size_t i = 0; i <= value.size(); ++i)
        if (i == value.size() || value[i] == ';') {
            parts.push_back(value.substr(start, i - start));
            start = i + 1;
        }
    std::string out;
    std::map<std::string, std::map<int, std::string>> extended;  // name -> section -> decoded text
    std::map<std::string, std::string> charset_of;
    std::vector<std::string> order;
    for (std::size_t p = 0; p < parts.size(); ++p) {
        std::string_view part = parts[p];
        auto eq = part.find('=');
        auto star = part.find('*');
        if (p == 0 || eq == std::string_view::npos || star == std::string_view::npos || star > eq) {
            if (!out.empty() || p > 0) out += ';';
            out += part;
            continue;
        }
        auto name_start = part.find_first_not_of(" \t");
        std::string name = lower(part.substr(name_start, star - name_start));
        std::string_view spec = part.substr(star, eq - star);  // "*", "*0*", "*1"
        bool encoded = spec.back() == '*';
        int section = 0;
        if (spec.size() > 1) {
            std::string digits(spec.substr(1, spec.size() - 1 - (encoded && spec.size() > 2 ? 1 : 0)));
            if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 3) {
                out += ';';
                out += part;
                continue;
            }
            section = std::stoi(digits);
        }
        std::string_view raw = part.substr(eq + 1);
        if (!raw.empty() && raw.front() == '"' && raw.size() >= 2 && raw.back() == '"') raw = raw.substr(1, raw.size() - 2);
        std::string text;
        if (encoded) {
            if (section == 0) {
                auto a1 = raw.find('\''), a2 = a1 == std::string_view::npos ? a1 : raw.find('\'', a1 + 1);
                if (a2 != std::string_view::npos) {
                    charset_of[name] = std::string(raw.substr(0, a1));
                    raw = raw.substr(a2 + 1);
                }
            }
            for (std::size_t i = 0; i < raw.size(); ++i) {
                int hi = raw[i] == '%' && i + 2 < raw.size() ? hex_value(raw[i + 1]) : -1;
                int lo = hi >= 0 ? hex_value(raw[i + 2]) : -1;
                if (hi >= 0 && lo >= 0) {
                    text.push_back(static_cast<char>(hi * 16 + lo));
                    i += 2;
                } else {
                    text.push_back(raw[i]);
                }
            }
        } else {
            text = std::string(raw);
        }
        if (!extended.count(name)) order.push_back(name);
        extended[name][section] = std::move(text);
    }
    for (const auto& name : order) {
        std::string joined;
        for (const auto& [section, text] : extended[name]) joined += text;
        out += "; " + name + "=\"" + from_charset(charset_of[name], joined) + "\"";
    }
    return out;
}

}  // namespace mw
