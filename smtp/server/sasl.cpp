#include "smtp/server/sasl.hpp"

#include <array>
#include <cstdint>

namespace mw::smtp::server {

namespace {

constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// RFC 4648 section 4 value of a base64 character, or -1.
int sextet(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

bool ascii_iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        auto fold = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
        if (fold(a[i]) != fold(b[i])) return false;
    }
    return true;
}

}  // namespace

std::string base64_encode(std::string_view bytes) {
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    auto at = [&](std::size_t k) { return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[k])); };
    for (; i + 3 <= bytes.size(); i += 3) {
        std::uint32_t v = at(i) << 16 | at(i + 1) << 8 | at(i + 2);
        for (int shift = 18; shift >= 0; shift -= 6) out += alphabet[(v >> shift) & 63];
    }
    if (std::size_t rest = bytes.size() - i; rest > 0) {
        std::uint32_t v = at(i) << 16 | (rest == 2 ? at(i + 1) << 8 : 0);
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        out += rest == 2 ? alphabet[(v >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
    if (text.size() % 4 != 0) return std::nullopt;
    std::string out;
    out.reserve(text.size() / 4 * 3);
    for (std::size_t i = 0; i < text.size(); i += 4) {
        bool last = i + 4 == text.size();
        std::array<int, 4> v{};
        int padding = 0;
        for (std::size_t k = 0; k < 4; ++k) {
            char c = text[i + k];
            if (c == '=' && last && k >= 2) {
                ++padding;
                v[k] = 0;
                continue;
            }
            if (padding > 0) return std::nullopt;  // data after '=': "ab=c"
            v[k] = sextet(c);
            if (v[k] < 0) return std::nullopt;     // whitespace, '-', '_', a misplaced '='
        }
        std::uint32_t n = static_cast<std::uint32_t>(v[0] << 18 | v[1] << 12 | v[2] << 6 | v[3]);
        // RFC 4648 3.5: the bits a padded group leaves unused must be zero, so every byte string
        // has exactly one encoding.
        if (padding == 1 && (n & 0xff) != 0) return std::nullopt;
        if (padding == 2 && (n & 0xffff) != 0) return std::nullopt;
        out += static_cast<char>(n >> 16 & 0xff);
        if (padding < 2) out += static_cast<char>(n >> 8 & 0xff);
        if (padding < 1) out += static_cast<char>(n & 0xff);
    }
    return out;
}

std::optional<PlainCredentials> parse_plain(std::string_view decoded) {
    // RFC 4616 2: message = [authzid] UTF8NUL authcid UTF8NUL passwd
    auto first = decoded.find('\0');
    if (first == std::string_view::npos) return std::nullopt;
    auto second = decoded.find('\0', first + 1);
    if (second == std::string_view::npos) return std::nullopt;
    if (decoded.find('\0', second + 1) != std::string_view::npos) return std::nullopt;
    PlainCredentials c;
    c.authzid = decoded.substr(0, first);
    c.authcid = decoded.substr(first + 1, second - first - 1);
    c.password = decoded.substr(second + 1);
    if (c.authcid.empty() || c.password.empty()) return std::nullopt;
    // Acting for another identity is not offered: an authzid, when given, names the login itself.
    if (!c.authzid.empty() && !ascii_iequals(c.authzid, c.authcid)) return std::nullopt;
    return c;
}

}  // namespace mw::smtp::server
