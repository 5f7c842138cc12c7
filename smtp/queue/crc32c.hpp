// CRC-32C (Castagnoli, the polynomial iSCSI, ext4 and LevelDB use): a checksum over each body in a
// segment, so recovery can tell durable bytes from a torn or rotted write. Table-driven, no
// dependency (zlib is not one of ours).
#pragma once

#include <cstdint>
#include <string_view>

namespace mw::smtp::queue {

// `crc` continues a running checksum (start with 0), so a caller can checksum pieces in turn.
std::uint32_t crc32c(std::string_view bytes, std::uint32_t crc = 0);

}  // namespace mw::smtp::queue
