// Netstrings (D. J. Bernstein, https://cr.yp.to/proto/netstrings.txt): "LEN:PAYLOAD,", the framing
// of Postfix's socketmap protocol (socketmap_table(5)).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace mw::postfix {

// Postfix's socketmap limits: requests up to 10,000 bytes, replies up to 100,000.
inline constexpr std::size_t socketmap_max_request = 10'000;
inline constexpr std::size_t socketmap_max_reply = 100'000;

// Reads netstrings from a byte stream that arrives in arbitrary pieces: feed() what a read
// returned, then pop() until it gives nothing.
//
// A well-formed netstring longer than the cap is read past without being kept (its length says
// where it ends) and popped as an empty payload with last_was_oversize() true: the caller answers
// PERM and the connection survives. A framing error — a length over netstring_skip_limit (reported
// as soon as its digits show it), a length that is empty, not decimal or has a leading zero (the
// netstring spec forbids them), a payload not followed by ',' — breaks the stream for good:
// payloads may hold digits, ':' and ',', so there is no point to resynchronize from. The caller
// answers PERM once and closes the connection; Postfix opens a new one for its next lookup. A
// well-formed netstring whose payload is a bad request is no framing error either: the caller
// answers it and keeps the connection.
inline constexpr std::size_t netstring_skip_limit = 1 << 20;

class NetstringDecoder {
public:
    explicit NetstringDecoder(std::size_t max_length = socketmap_max_request) noexcept : max_length_(max_length) {}

    // Buffers bytes; after a framing error they are dropped.
    void feed(std::string_view bytes);
    // The next complete payload, or nullopt when more bytes are needed or the stream is broken.
    std::optional<std::string> pop();

    bool failed() const noexcept { return !error_.empty(); }
    // The payload pop() just returned stands for a netstring over the cap, read past and dropped.
    bool last_was_oversize() const noexcept { return oversize_; }
    // Why the stream broke, e.g. "netstring length over 10000 bytes"; "" while it is fine.
    const std::string& error() const noexcept { return error_; }
    // Bytes received and not yet returned as payloads: at most one incomplete netstring once
    // pop() has returned nullopt, so a reader's memory stays bounded by the cap.
    std::size_t buffered() const noexcept { return buffer_.size() - start_; }

private:
    std::optional<std::string> fail(std::string why);

    std::size_t max_length_;
    std::string buffer_;
    std::size_t start_ = 0;  // bytes of buffer_ already returned as payloads
    std::size_t skip_ = 0;   // bytes of an oversize payload still to drop, plus its ','
    bool oversize_ = false;
    std::string error_;
};

// "LEN:PAYLOAD,".
std::string encode_netstring(std::string_view payload);

}  // namespace mw::postfix
