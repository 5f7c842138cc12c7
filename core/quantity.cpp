// Sizes and durations as admins write them in rule files and in mailwarden.toml ("35MB", "1h30m").
#include "core/quantity.hpp"

#include <cctype>
#include <limits>
#include <string>
#include <utility>

namespace mw {

namespace {

// Digits then an optional unit; nullopt on overflow or anything else.
std::optional<std::pair<std::uint64_t, std::string_view>> number_prefix(std::string_view& s) {
    std::uint64_t n = 0;
    std::size_t i = 0;
    for (; i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])); ++i) {
        unsigned d = static_cast<unsigned>(s[i] - '0');
        if (n > (std::numeric_limits<std::uint64_t>::max() - d) / 10) return std::nullopt;
        n = n * 10 + d;
    }
    if (i == 0) return std::nullopt;
    std::string_view rest = s.substr(i);
    s = rest;
    return std::make_pair(n, rest);
}

bool mul(std::uint64_t a, std::uint64_t b, std::uint64_t& out) {
    if (a != 0 && b > std::numeric_limits<std::uint64_t>::max() / a) return false;
    out = a * b;
    return true;
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

}  // namespace

std::optional<std::uint64_t> parse_size(std::string_view text) {
    std::string_view s = text;
    auto number = number_prefix(s);
    if (!number) return std::nullopt;
    std::string_view unit = s;
    while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
    static const std::pair<std::string_view, std::uint64_t> units[] = {
        {"", 1}, {"b", 1}, {"kb", 1000}, {"mb", 1000'000}, {"gb", 1000'000'000}, {"tb", 1000'000'000'000},
        {"kib", 1ull << 10}, {"mib", 1ull << 20}, {"gib", 1ull << 30}, {"tib", 1ull << 40},
    };
    std::string u = lower(unit);
    for (const auto& [spelling, factor] : units) {
        std::uint64_t out = 0;
        if (u == spelling) return mul(number->first, factor, out) ? std::optional(out) : std::nullopt;
    }
    return std::nullopt;
}

std::optional<std::uint64_t> parse_duration(std::string_view text) {
    std::string_view s = text;
    if (s.empty()) return std::nullopt;
    std::uint64_t total = 0;
    bool bare = true;
    while (!s.empty()) {
        auto number = number_prefix(s);
        if (!number) return std::nullopt;
        std::uint64_t factor = 1;
        if (s.empty()) {
            if (!bare) return std::nullopt;  // "1h30" is ambiguous
        } else {
            switch (s.front()) {
                case 's': factor = 1; break;
                case 'm': factor = 60; break;
                case 'h': factor = 3600; break;
                case 'd': factor = 86400; break;
                case 'w': factor = 7 * 86400; break;
                default: return std::nullopt;
            }
            s.remove_prefix(1);
        }
        bare = false;
        std::uint64_t part = 0;
        if (!mul(number->first, factor, part) || total + part < total) return std::nullopt;
        total += part;
    }
    return total;
}

}  // namespace mw
