// Command lines out of the byte stream. SMTP commands end in CRLF only (RFC 5321 2.3.8): a bare CR
// or bare LF is refused (SMTP smuggling, RULES.md), and a line longer than the limit is refused
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
    void feed(std::string_view bytes) { buffer_.append(bytes); }
    // Takes the next complete line (without CRLF) into `line`. too_long: the line exceeds the limit
    // (the bytes up to the next LF, or all buffered bytes, are discarded so the reader resyncs at the
    // next line); bare_cr_lf: a CR not followed by LF or an LF not preceded by CR.
    LineStatus next(std::string& line);
    // Bytes received but not yet consumed as lines (pipelined commands, DATA content after "DATA").
    std::string_view pending() const { return buffer_; }
    // Takes `n` bytes of pending input out of the reader (BDAT chunks, DATA content).
    std::string take(std::size_t n);
    // Discards everything buffered: after STARTTLS (RFC 3207 section 6, command injection).
    void clear() { buffer_.clear(); }
    bool empty() const { return buffer_.empty(); }

private:
    std::size_t limit_;
    std::string buffer_;
};

}  // namespace mw::smtp::server
