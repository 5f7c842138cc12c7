#include "smtp/server/line_reader.hpp"

#include <algorithm>
#include <cstring>

namespace mw::smtp::server {

namespace {

// Consumed bytes are dropped from the front of the buffer only once they are at least this many
// and at least half the buffer, so a burst of pipelined commands costs O(n), not O(n^2), to read.
constexpr std::size_t compact_threshold = 4096;

// The first CR or LF in [from, end), or end.
std::size_t find_line_end(const std::string& s, std::size_t from) {
    const char* begin = s.data() + from;
    const char* end = s.data() + s.size();
    const char* hit = std::find_if(begin, end, [](char c) { return c == '\r' || c == '\n'; });
    return static_cast<std::size_t>(hit - s.data());
}

}  // namespace

void LineReader::feed(std::string_view bytes) { buffer_.append(bytes); }

std::string_view LineReader::pending() const {
    return std::string_view(buffer_).substr(start_);
}

void LineReader::clear() {
    buffer_.clear();
    start_ = 0;
    scanned_ = 0;
    skipping_ = false;
}

bool LineReader::empty() const { return start_ == buffer_.size(); }

void LineReader::consume(std::size_t n) {
    start_ += n;
    scanned_ = start_;
    if (start_ == buffer_.size()) {
        buffer_.clear();
        start_ = scanned_ = 0;
    } else if (start_ >= compact_threshold && start_ * 2 >= buffer_.size()) {
        buffer_.erase(0, start_);
        start_ = scanned_ = 0;
    }
}

std::string LineReader::take(std::size_t n) {
    n = std::min(n, buffer_.size() - start_);
    std::string out = buffer_.substr(start_, n);
    consume(n);
    return out;
}

LineStatus LineReader::next(std::string& line) {
    if (skipping_) {
        // The rest of a line already refused as too long: drop it up to its LF so the reader
        // resyncs at the next line (RFC 5321 4.5.3.1: the server may discard the excess).
        const char* begin = buffer_.data() + start_;
        const void* lf = std::memchr(begin, '\n', buffer_.size() - start_);
        if (lf == nullptr) {
            // Keep a final CR: it decides whether the LF that ends the line is bare.
            bool cr_last = buffer_.size() > start_ && buffer_.back() == '\r';
            consume(buffer_.size() - start_ - (cr_last ? 1 : 0));
            return LineStatus::need_more;
        }
        std::size_t at = static_cast<std::size_t>(static_cast<const char*>(lf) - buffer_.data());
        bool crlf = at > start_ && buffer_[at - 1] == '\r';
        skipping_ = false;
        consume(at + 1 - start_);
        if (!crlf) return LineStatus::bare_cr_lf;
        return next(line);
    }

    // Resume the scan where the previous call stopped: a slow client sending one byte at a time
    // costs O(n) in total.
    std::size_t end = find_line_end(buffer_, std::max(scanned_, start_));
    std::size_t length = end - start_;  // line bytes so far, without CRLF
    if (length + 2 > limit_) {
        // Refused without buffering it: discard what we have, and the rest up to its LF.
        if (end < buffer_.size() && buffer_[end] == '\n') {
            consume(end + 1 - start_);
            return LineStatus::too_long;
        }
        skipping_ = true;
        consume(end - start_);
        return LineStatus::too_long;
    }
    if (end == buffer_.size()) {
        scanned_ = end;
        return LineStatus::need_more;
    }
    if (buffer_[end] == '\n') return LineStatus::bare_cr_lf;  // RFC 5321 2.3.8: LF without CR
    if (end + 1 == buffer_.size()) {
        scanned_ = end;  // a CR at the end: the next byte must be its LF
        return LineStatus::need_more;
    }
    if (buffer_[end + 1] != '\n') return LineStatus::bare_cr_lf;  // CR without LF
    line.assign(buffer_, start_, length);
    consume(length + 2);
    return LineStatus::line;
}

}  // namespace mw::smtp::server
