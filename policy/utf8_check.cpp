#include "policy/utf8_check.hpp"

#include <cstdint>
#include <cstring>

namespace mw::policy {

Utf8Kind classify_utf8(std::string_view s) {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const auto* end = p + s.size();
    bool multibyte = false;
    while (p < end) {
        if (end - p >= 8) {
            std::uint64_t word;
            std::memcpy(&word, p, sizeof word);
            if ((word & 0x8080808080808080ull) == 0) {
                p += 8;
                continue;
            }
        }
        unsigned char c = *p;
        if (c < 0x80) {
            ++p;
            continue;
        }
        multibyte = true;
        int n;
        unsigned min;
        unsigned cp;
        if ((c & 0xe0) == 0xc0) n = 1, min = 0x80, cp = c & 0x1f;
        else if ((c & 0xf0) == 0xe0) n = 2, min = 0x800, cp = c & 0x0f;
        else if ((c & 0xf8) == 0xf0) n = 3, min = 0x10000, cp = c & 0x07;
        else return Utf8Kind::invalid;
        if (end - p <= n) return Utf8Kind::invalid;
        for (int i = 1; i <= n; ++i) {
            if ((p[i] & 0xc0) != 0x80) return Utf8Kind::invalid;
            cp = (cp << 6) | (p[i] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return Utf8Kind::invalid;
        p += n + 1;
    }
    return multibyte ? Utf8Kind::multibyte : Utf8Kind::ascii;
}

}  // namespace mw::policy
