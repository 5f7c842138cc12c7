#include "core/fingerprint.hpp"

#include <cctype>

namespace mw {

FingerprintText read_fingerprint(std::string_view text) {
    FingerprintText out;
    out.hex.reserve(text.size());
    for (char c : text) {
        if (c == ':') continue;
        if (!std::isxdigit(static_cast<unsigned char>(c))) out.all_hex = false;
        out.hex += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return out;
}

std::optional<std::string> normalize_sha256(std::string_view text) {
    FingerprintText f = read_fingerprint(text);
    if (!f.is_sha256()) return std::nullopt;
    return std::move(f.hex);
}

std::string hex_upper(const unsigned char* bytes, std::size_t size) {
    static constexpr char digits[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(size * 2);
    for (std::size_t i = 0; i < size; ++i) {
        out += digits[bytes[i] >> 4];
        out += digits[bytes[i] & 0xf];
    }
    return out;
}

}  // namespace mw
