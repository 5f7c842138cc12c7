// Sizes and durations as admins write them in rule files and in mailwarden.toml.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace mw {

// "35MB", "10KB", "1GB", "1MiB", "1000": bytes. SI units (1MB = 1,000,000, as Exchange writes its
// limits); KiB/MiB/GiB are binary. nullopt when malformed or too large for 64 bits.
std::optional<std::uint64_t> parse_size(std::string_view text);
// "10m", "5m", "0s", "2h", "1d", "1h30m", or a bare number of seconds. nullopt when malformed
// ("1h30" is ambiguous) or too large.
std::optional<std::uint64_t> parse_duration(std::string_view text);

}  // namespace mw
