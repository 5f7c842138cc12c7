// The bodies: append-only segment files under STATE_DIR/queue/segments/, named
// 0000000000000001.seg, 0000000000000002.seg, … and shared by many messages. Each message is one
// record: a 36-byte header then the body bytes.
//   magic "MWQ1" | id (16 bytes) | body length (u64 LE) | body CRC-32C (u32 LE) | header CRC-32C (u32 LE)
// The header repeats the id so a record can never be mistaken for another message's, and has its
// own checksum so a torn header is told from a torn body. Nothing in a segment is ever rewritten:
// space comes back only when every record in a file is gone and the file is unlinked.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/unique_fd.hpp"
#include "core/result.hpp"
#include "smtp/queue/record_codec.hpp"

namespace mw::smtp::queue {

using Done = Result<std::monostate>;

inline constexpr std::size_t segment_header_size = 36;

class SegmentStore {
public:
    // `dir` is the segments directory; it must exist.
    explicit SegmentStore(std::filesystem::path dir) : dir_(std::move(dir)) {}

    std::filesystem::path path_of(std::uint64_t segment) const;
    // Numbers of the *.seg files present (other names are left alone).
    Result<std::vector<std::uint64_t>> existing() const;

    // Reads and verifies one body (header magic, id, length, both checksums, and the CRC the index
    // recorded). Thread-safe: every call opens the file itself.
    Result<std::string> read(std::string_view id, const BodyLocation& where) const;
    // Unlinks a segment file; a file already gone is fine.
    Done unlink(std::uint64_t segment) const;

    // --- Writing: the committer thread only. ---
    // Creates segment `number` (it must not exist) and makes it current; fsyncs the directory so the
    // new name survives a crash along with the bytes fdatasync will make durable.
    Done start(std::uint64_t number);
    bool has_current() const { return static_cast<bool>(fd_); }
    std::uint64_t current() const { return current_; }
    std::uint64_t current_size() const { return size_; }
    // Appends one record to the current segment (not durable until sync()).
    Result<BodyLocation> append(std::string_view id, std::string_view body);
    // One fdatasync of the current segment: makes every append since the last sync durable.
    Done sync();
    // Stops writing to the current segment (after a failed write or sync, whose page-cache state we
    // can no longer trust); the next start() opens a fresh file.
    void seal() { fd_.reset(); }

private:
    std::filesystem::path dir_;
    mw::UniqueFd fd_;
    std::uint64_t current_ = 0;
    std::uint64_t size_ = 0;
};

// Error{temporary, origin, strerror(errno)}.
Error system_error(std::string origin, int err);
// fsync of a directory, so a created or removed name is durable.
Done sync_directory(const std::filesystem::path& dir);

}  // namespace mw::smtp::queue
