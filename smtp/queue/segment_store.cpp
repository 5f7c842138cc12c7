#include "smtp/queue/segment_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "smtp/queue/crc32c.hpp"

namespace mw::smtp::queue {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view magic = "MWQ1";
constexpr std::size_t id_size = 16;

void put_le(std::string& out, std::uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFFu));
}

std::uint64_t get_le(std::string_view in, std::size_t at, int bytes) {
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v |= std::uint64_t{static_cast<unsigned char>(in[at + static_cast<std::size_t>(i)])} << (8 * i);
    return v;
}

std::string make_header(std::string_view id, std::uint64_t length, std::uint32_t body_crc) {
    std::string h;
    h.reserve(segment_header_size);
    h.append(magic);
    h.append(id.substr(0, id_size));
    h.append(id_size - std::min(id.size(), id_size), '\0');
    put_le(h, length, 8);
    put_le(h, body_crc, 4);
    put_le(h, crc32c(h), 4);
    return h;
}

Done pwrite_all(int fd, std::string_view bytes, std::uint64_t offset) {
    while (!bytes.empty()) {
        ssize_t n = ::pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(offset));
        if (n < 0) {
            if (errno == EINTR) continue;
            return system_error("segment pwrite", errno);
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
        offset += static_cast<std::uint64_t>(n);
    }
    return std::monostate{};
}

// false at end of file before `out` is full.
Result<bool> pread_all(int fd, char* out, std::size_t size, std::uint64_t offset) {
    while (size > 0) {
        ssize_t n = ::pread(fd, out, size, static_cast<off_t>(offset));
        if (n < 0) {
            if (errno == EINTR) continue;
            return system_error("segment pread", errno);
        }
        if (n == 0) return false;
        out += n;
        size -= static_cast<std::size_t>(n);
        offset += static_cast<std::uint64_t>(n);
    }
    return true;
}

Error corrupt(std::string detail) { return Error{Error::Kind::permanent, "queue segment", std::move(detail), ErrorCode::corrupt}; }

}  // namespace

Error system_error(std::string origin, int err) {
    // A full disk is the same trouble for the client as a full LMDB map: 452 4.3.1, try later.
    ErrorCode code = err == ENOSPC || err == EDQUOT ? ErrorCode::storage_full : err == ENOENT ? ErrorCode::not_found : ErrorCode::io;
    return Error{Error::Kind::temporary, std::move(origin), std::strerror(err), code};
}

Done sync_directory(const fs::path& dir) {
    mw::UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) return system_error("open " + dir.string(), errno);
    if (::fsync(fd.get()) != 0) return system_error("fsync " + dir.string(), errno);
    return std::monostate{};
}

fs::path SegmentStore::path_of(std::uint64_t segment) const {
    char name[32];
    std::snprintf(name, sizeof name, "%016llx.seg", static_cast<unsigned long long>(segment));
    return dir_ / name;
}

Result<std::vector<std::uint64_t>> SegmentStore::existing() const {
    std::vector<std::uint64_t> found;
    std::error_code ec;
    for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
        std::string name = it->path().filename().string();
        if (name.size() != 20 || !name.ends_with(".seg")) continue;
        std::uint64_t n = 0;
        bool hex = true;
        for (char c : name.substr(0, 16)) {
            int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
            if (digit < 0) hex = false;
            n = (n << 4) | static_cast<std::uint64_t>(digit < 0 ? 0 : digit);
        }
        if (hex) found.push_back(n);
    }
    if (ec) return Error{Error::Kind::temporary, "list " + dir_.string(), ec.message(), ErrorCode::io};
    return found;
}

Result<std::string> SegmentStore::read(std::string_view id, const BodyLocation& where) const {
    fs::path path = path_of(where.segment);
    mw::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
        if (errno == ENOENT) return corrupt("segment " + path.filename().string() + " is missing");
        return system_error("open " + path.string(), errno);
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return system_error("fstat " + path.string(), errno);
    auto file_size = static_cast<std::uint64_t>(st.st_size);
    // Range first, so a garbage length never becomes a huge allocation.
    if (where.offset > file_size || file_size - where.offset < segment_header_size ||
        file_size - where.offset - segment_header_size < where.length)
        return corrupt("record at " + std::to_string(where.offset) + " runs past the end of " +
                       path.filename().string());
    std::string header(segment_header_size, '\0');
    auto got = pread_all(fd.get(), header.data(), header.size(), where.offset);
    if (!got) return got.error();
    if (!*got) return corrupt("short header");
    std::string_view h = header;
    if (h.substr(0, 4) != magic) return corrupt("bad record magic");
    if (get_le(h, 32, 4) != crc32c(h.substr(0, 32))) return corrupt("header checksum mismatch");
    std::string_view stored_id = h.substr(4, id_size);
    if (stored_id.substr(0, std::min(id.size(), id_size)) != id.substr(0, id_size)) return corrupt("record belongs to another id");
    if (get_le(h, 20, 8) != where.length) return corrupt("record length disagrees with the index");
    auto body_crc = static_cast<std::uint32_t>(get_le(h, 28, 4));
    if (body_crc != where.crc) return corrupt("record checksum disagrees with the index");
    std::string body(where.length, '\0');
    got = pread_all(fd.get(), body.data(), body.size(), where.offset + segment_header_size);
    if (!got) return got.error();
    if (!*got) return corrupt("short body");
    if (crc32c(body) != body_crc) return corrupt("body checksum mismatch");
    return body;
}

Done SegmentStore::unlink(std::uint64_t segment) const {
    fs::path path = path_of(segment);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return system_error("unlink " + path.string(), errno);
    return std::monostate{};
}

Done SegmentStore::start(std::uint64_t number) {
    fs::path path = path_of(number);
    mw::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (!fd) return system_error("create " + path.string(), errno);
    if (auto synced = sync_directory(dir_); !synced) return synced.error();
    fd_ = std::move(fd);
    current_ = number;
    size_ = 0;
    return std::monostate{};
}

Result<BodyLocation> SegmentStore::append(std::string_view id, std::string_view body) {
    if (!fd_) return Error{Error::Kind::temporary, "queue segment", "no segment open for writing"};
    BodyLocation where{current_, size_, body.size(), crc32c(body)};
    std::string header = make_header(id, body.size(), where.crc);
    if (auto w = pwrite_all(fd_.get(), header, size_); !w) return w.error();
    if (auto w = pwrite_all(fd_.get(), body, size_ + header.size()); !w) return w.error();
    size_ += header.size() + body.size();
    return where;
}

Done SegmentStore::sync() {
    if (!fd_) return std::monostate{};
    if (::fdatasync(fd_.get()) != 0) return system_error("segment fdatasync", errno);
    return std::monostate{};
}

}  // namespace mw::smtp::queue
