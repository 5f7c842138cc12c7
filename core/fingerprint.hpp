// SHA-256 certificate fingerprints in one form everywhere: 64 upper-case hex digits. Admins paste
// them with colons ("AB:CD:..."), Postfix and Sendmail hand them with colons, OpenSSL gives bytes.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace mw {

// What a written fingerprint holds: its hex digits upper-cased, colons dropped, and whether every
// other character was a hex digit. A SHA-256 fingerprint is all_hex with 64 digits.
struct FingerprintText {
    std::string hex;
    bool all_hex = true;
    bool is_sha256() const { return all_hex && hex.size() == 64; }
};
FingerprintText read_fingerprint(std::string_view text);

// The normal form of a SHA-256 fingerprint, or nullopt when `text` is not one.
std::optional<std::string> normalize_sha256(std::string_view text);

// Bytes (a digest) as upper-case hex, the normal form above.
std::string hex_upper(const unsigned char* bytes, std::size_t size);

}  // namespace mw
