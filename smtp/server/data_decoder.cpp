#include "smtp/server/data_decoder.hpp"

#include <algorithm>

#include "smtp/server/line_reader.hpp"

namespace mw::smtp::server {

namespace {

bool is_line_end(char c) { return c == '\r' || c == '\n'; }

// Longest line content allowed before the CRLF (RFC 5321 4.5.3.1.6: 1000 octets with the CRLF).
constexpr std::size_t max_line_content = max_text_line - 2;

}  // namespace

void DataDecoder::keep(std::string_view bytes) {
    if (size_ < max_size_) {
        std::uint64_t room = max_size_ - size_;
        message_.append(bytes.substr(0, static_cast<std::size_t>(std::min<std::uint64_t>(room, bytes.size()))));
    }
    size_ += bytes.size();
}

void DataDecoder::count_line_bytes(std::size_t n) {
    line_length_ += n;
    if (line_length_ > max_line_content) line_too_long_ = true;
}

DataDecoder::Step DataDecoder::feed(std::string_view input) {
    if (state_ != State::reading) return {state_ == State::done ? Status::done : Status::bare_cr_lf, 0};
    auto fail = [&](std::size_t at) {
        state_ = State::failed;
        return Step{Status::bare_cr_lf, at};
    };
    std::size_t i = 0;
    while (i < input.size()) {
        char c = input[i];
        if (dot_cr_pending_) {
            // "." CR at the start of a line: only LF completes the terminator; anything else makes
            // the CR bare (RFC 5321 4.1.1.4: the end is exactly CRLF "." CRLF).
            if (c != '\n') return fail(i);
            state_ = State::done;
            return {Status::done, i + 1};
        }
        if (cr_pending_) {
            if (c != '\n') return fail(i);  // bare CR: "\r.\r\n", "\r.\n" never end the message
            cr_pending_ = false;
            keep("\r\n");
            line_length_ = 0;
            at_line_start_ = true;
            ++i;
            continue;
        }
        if (dot_pending_) {
            dot_pending_ = false;
            if (c == '\r') {
                dot_cr_pending_ = true;
                ++i;
                continue;
            }
            if (c == '\n') return fail(i);  // ".\n": a bare LF
            // RFC 5321 4.5.2: a line starting with "." and holding more loses that first "."; the
            // byte now read is content (for "..x" it is the second ".").
        } else if (at_line_start_ && c == '.') {
            at_line_start_ = false;
            dot_pending_ = true;
            count_line_bytes(1);
            ++i;
            continue;
        }
        at_line_start_ = false;
        if (c == '\n') return fail(i);  // LF without CR: "\n.\r\n", "\n.\n" and the like
        if (c == '\r') {
            cr_pending_ = true;
            ++i;
            continue;
        }
        // Plain content up to the next CR or LF, in one piece.
        auto end = std::find_if(input.begin() + static_cast<std::ptrdiff_t>(i), input.end(), is_line_end);
        std::size_t n = static_cast<std::size_t>(end - input.begin()) - i;
        keep(input.substr(i, n));
        count_line_bytes(n);
        i += n;
    }
    return {Status::more, input.size()};
}

bool BdatChecker::feed(std::string_view chunk) {
    for (std::size_t i = 0; i < chunk.size(); ++i) {
        char c = chunk[i];
        if (cr_pending_) {
            if (c != '\n') return false;  // bare CR
            cr_pending_ = false;
            line_length_ = 0;
            continue;
        }
        if (c == '\r') {
            cr_pending_ = true;
            continue;
        }
        if (c == '\n') return false;  // bare LF
        auto end = std::find_if(chunk.begin() + static_cast<std::ptrdiff_t>(i), chunk.end(), is_line_end);
        std::size_t n = static_cast<std::size_t>(end - chunk.begin()) - i;
        line_length_ += n;
        if (line_length_ > max_line_content) line_too_long_ = true;
        i += n - 1;
    }
    return true;
}

bool BdatChecker::finish() {
    bool ok = !cr_pending_;
    cr_pending_ = false;
    line_length_ = 0;
    return ok;
}

}  // namespace mw::smtp::server
