// The index record of one queued message (the value under its id in the "messages" database):
// MessageInfo plus where its body lies. A small versioned binary format of our own: one version
// byte, then fixed-width little-endian integers and length-prefixed strings. Decoding checks every
// length against what is left, so a truncated or garbage record is an Error, never a crash or an
// over-read.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "smtp/queue/queue.hpp"

namespace mw::smtp::queue {

// Where the body lies: the record starts at `offset` in segments/<segment>.seg (its header first,
// see segment_store.hpp); `length` body bytes follow the header; `crc` is their CRC-32C.
struct BodyLocation {
    std::uint64_t segment = 0;
    std::uint64_t offset = 0;
    std::uint64_t length = 0;
    std::uint32_t crc = 0;
    bool operator==(const BodyLocation&) const = default;
};

struct IndexRecord {
    MessageInfo info;  // info.id is the database key, not stored in the value
    BodyLocation location;
};

inline constexpr std::uint8_t record_version = 1;

std::string encode_record(const IndexRecord& record);
// `id` is the key the value was stored under. Error{permanent, "queue record", what} when the bytes
// are not a record of a version we know.
Result<IndexRecord> decode_record(std::string_view id, std::string_view bytes);

// Segment numbers as LMDB keys: 8 bytes big-endian, so keys sort numerically.
std::string segment_key(std::uint64_t segment);
Result<std::uint64_t> parse_segment_key(std::string_view key);
// Little-endian 64-bit values ("segments" database counts).
std::string encode_u64(std::uint64_t v);
Result<std::uint64_t> decode_u64(std::string_view bytes);

}  // namespace mw::smtp::queue
