// The DATA phase (RFC 5321 4.1.1.4, 4.5.2): finds the end of the message and undoes dot-stuffing,
// incrementally. Only <CRLF>.<CRLF> ends the message; every line must end in CRLF, so a bare CR or
// bare LF anywhere is an error (SMTP smuggling: "\n.\r\n", "\r.\n", "\n.\n" ... must never end the
// message, and nothing after them is ever read as commands). The message handed out has CRLF line
// endings and no final ".".
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace mw::smtp::server {

class DataDecoder {
public:
    enum class Status {
        more,        // consumed everything offered; the message is not complete yet
        done,        // the terminating line was seen; `consumed` says how much input it used
        bare_cr_lf,  // smuggling attempt or broken client: answer 521 and close
    };
    struct Step {
        Status status = Status::more;
        std::size_t consumed = 0;  // bytes of `input` used (the rest are the next commands)
    };

    // `max_size`: content bytes kept; beyond it the decoder keeps reading (to find the end) but
    // drops the bytes and sets oversize().
    explicit DataDecoder(std::uint64_t max_size) : max_size_(max_size) {}
    Step feed(std::string_view input);

    std::string& message() { return message_; }   // the content so far, unstuffed, CRLF
    std::uint64_t size() const { return size_; }  // total content bytes seen (also when dropped)
    bool oversize() const { return size_ > max_size_; }
    bool line_too_long() const { return line_too_long_; }  // a line above max_text_line

private:
    enum class State { reading, done, failed };
    void keep(std::string_view bytes);        // counts content, keeps what fits in max_size_
    void count_line_bytes(std::size_t n);     // tracks the current line's length on the wire

    std::uint64_t max_size_;
    std::string message_;
    std::uint64_t size_ = 0;
    bool line_too_long_ = false;
    State state_ = State::reading;  // done and failed are final: later feeds consume nothing
    // Parser state between feeds: position in the current line, CR pending, line start.
    std::size_t line_length_ = 0;   // bytes of the current line before its CRLF, stuffing dot included
    bool at_line_start_ = true;     // DATA content starts right after the "DATA" command's CRLF
    bool cr_pending_ = false;
    bool dot_pending_ = false;      // line started with "." (maybe the terminator)
    bool dot_cr_pending_ = false;   // "." then CR seen at line start
};

// BDAT chunks are counted, not terminated, but mailwarden offers neither BINARYMIME nor bare line
// ends: this checks a chunk's lines continue to end in CRLF (state kept across chunks) and tracks
// the longest line.
class BdatChecker {
public:
    // false: a bare CR or LF was found (answer 521 and close).
    bool feed(std::string_view chunk);
    bool finish();  // at LAST: false when the content ends with a CR that no LF followed
    bool line_too_long() const { return line_too_long_; }

private:
    bool cr_pending_ = false;
    std::size_t line_length_ = 0;
    bool line_too_long_ = false;
};

}  // namespace mw::smtp::server
