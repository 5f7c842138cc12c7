// Command lines out of the byte stream. SMTP commands end in CRLF only (RFC 5321 2.3.8): a bare CR
// or bare LF is refused (SMTP smuggling, README "Standalone mode"), and a line longer than the limit is refused
// without buffering it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace mw::smtp::server {

// RFC 5321 4.5.3.1.4 allows 512 octets, more with extensions; like Postfix we allow 2048.
inline constexpr std::size_t max_command_line = 2048;  // including CRLF
// RFC 5321 4.5.3.1.6: 1000 octets including CRLF.
inline constexpr std::size_t max_text_line = 1000;

enum class LineStatus { line, need_more, too_long, bare_cr_lf };

class LineReader {
public:
    explicit LineReader(std::size_t limit = max_command_line) : limit_(limit) {}
    // Appends received bytes.
    void feed(std::string_view bytes);
    // Takes the next complete line (without CRLF) into `line`. too_long: the line exceeds the limit
    // (the bytes up to the next LF, or all buffered bytes, are discarded so the reader resyncs at the
    // next line); bare_cr_lf: a CR not followed by LF or an LF not preceded by CR.
    LineStatus next(std::string& line);
    // Bytes received but not yet consumed as lines (pipelined commands, DATA content after "DATA").
    std::string_view pending() const;
    // Takes `n` bytes of pending input out of the reader (BDAT chunks, DATA content).
    std::string take(std::size_t n);
    // Discards everything buffered: after STARTTLS (RFC 3207 section 6, command injection).
    void clear();
    bool empty() const;

private:
    void consume(std::size_t n);  // drops n bytes from the front of the pending input

    std::size_t limit_;
    std::string buffer_;      // buffer_[start_..] is pending; the front is dropped now and then
    std::size_t start_ = 0;
    std::size_t scanned_ = 0; // no CR or LF in buffer_[start_, scanned_): not rescanned
    bool skipping_ = false;   // discarding the rest of a too-long line
};

}  // namespace mw::smtp::server
