#include "postfix/netstring.hpp"

#include <algorithm>

namespace mw::postfix {

void NetstringDecoder::feed(std::string_view bytes) {
    if (failed()) return;
    // Drop what was already returned, so the buffer holds only the unread tail.
    buffer_.erase(0, start_);
    start_ = 0;
    buffer_.append(bytes);
}

std::optional<std::string> NetstringDecoder::fail(std::string why) {
    error_ = std::move(why);
    buffer_.clear();
    start_ = 0;
    return std::nullopt;
}

std::optional<std::string> NetstringDecoder::pop() {
    oversize_ = false;
    if (failed()) return std::nullopt;
    if (skip_ > 0) {
        std::string_view pending = std::string_view(buffer_).substr(start_);
        std::size_t take = std::min(pending.size(), skip_ - 1);
        start_ += take;
        skip_ -= take;
        pending.remove_prefix(take);
        if (skip_ > 1 || pending.empty()) return std::nullopt;
        if (pending.front() != ',') return fail("malformed netstring (no ',' after the payload)");
        start_ += 1;
        skip_ = 0;
        oversize_ = true;
        return std::string();
    }
    const std::string_view pending = std::string_view(buffer_).substr(start_);
    std::size_t length = 0;
    std::size_t i = 0;
    for (;; ++i) {
        if (i == pending.size()) return std::nullopt;  // the length is still arriving
        char c = pending[i];
        if (c == ':') break;
        if (c < '0' || c > '9') return fail("malformed netstring length");
        if (i == 1 && pending[0] == '0') return fail("malformed netstring length (leading zero)");
        // Checked digit by digit: an endless run of digits is refused before it overflows.
        length = length * 10 + static_cast<std::size_t>(c - '0');
        if (length > netstring_skip_limit)
            return fail("netstring length over " + std::to_string(netstring_skip_limit) + " bytes");
    }
    if (i == 0) return fail("malformed netstring length (empty)");
    const std::size_t payload_at = i + 1;
    if (length > max_length_) {
        start_ += payload_at;  // the header; the payload is dropped as it arrives
        skip_ = length + 1;
        return pop();
    }
    if (pending.size() < payload_at + length + 1) return std::nullopt;
    if (pending[payload_at + length] != ',') return fail("malformed netstring (no ',' after the payload)");
    std::string payload(pending.substr(payload_at, length));
    start_ += payload_at + length + 1;
    return payload;
}

std::string encode_netstring(std::string_view payload) {
    std::string out = std::to_string(payload.size());
    out += ':';
    out.append(payload);
    out += ',';
    return out;
}

}  // namespace mw::postfix
