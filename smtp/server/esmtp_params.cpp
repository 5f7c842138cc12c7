#include "smtp/server/esmtp_params.hpp"

#include <cstdint>
#include <limits>

#include "core/xtext.hpp"
#include "smtp/queue/queue.hpp"
#include "smtp/server/command_parser.hpp"

namespace mw::smtp::server {

namespace {

// RFC 5321 4.1.2: esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
bool is_keyword(std::string_view s) {
    if (s.empty() || s.front() == '-') return false;
    for (char c : s)
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
    return true;
}

// esmtp-value = 1*(%d33-60 / %d62-126): printable ASCII without "=" (RFC 6531 3.3 adds UTF-8,
// which none of the parameters offered here carry).
bool is_value(std::string_view s) {
    if (s.empty()) return false;
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        if (c < 33 || c > 126 || c == '=') return false;
    }
    return true;
}

}  // namespace

namespace detail {

std::string ascii_upper(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    return out;
}

bool ascii_iequals(std::string_view a, std::string_view b) { return a.size() == b.size() && ascii_upper(a) == ascii_upper(b); }

Reply unsupported(std::string_view keyword) { return {555, "5.5.4", "Unsupported option: " + std::string(keyword)}; }

Reply bad_value(const EsmtpParam& param) { return {555, "5.5.4", "Bad value for option: " + param.keyword}; }

std::variant<std::vector<EsmtpParam>, Reply> split_params(std::string_view text) {
    std::vector<EsmtpParam> params;
    std::size_t pos = 0;
    while (true) {
        pos = text.find_first_not_of(' ', pos);
        if (pos == std::string_view::npos) break;
        std::size_t end = text.find(' ', pos);
        std::string_view word = text.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
        pos = end;
        auto eq = word.find('=');
        std::string_view keyword = word.substr(0, eq);
        if (!is_keyword(keyword)) return Reply{501, "5.5.4", "Syntax error in parameters"};
        EsmtpParam p{ascii_upper(keyword), std::nullopt};
        if (eq != std::string_view::npos) {
            std::string_view value = word.substr(eq + 1);
            if (!is_value(value)) return Reply{501, "5.5.4", "Syntax error in parameters"};
            p.value = std::string(value);
        }
        for (const auto& seen : params)
            if (seen.keyword == p.keyword) return Reply{555, "5.5.4", "Duplicate option: " + p.keyword};
        params.push_back(std::move(p));
        if (pos == std::string_view::npos) break;
    }
    return params;
}

std::optional<std::uint64_t> parse_size(std::string_view value) {
    if (value.empty()) return std::nullopt;
    std::uint64_t n = 0;
    constexpr auto max = std::numeric_limits<std::uint64_t>::max();
    for (char c : value) {
        if (c < '0' || c > '9') return std::nullopt;
        auto digit = static_cast<std::uint64_t>(c - '0');
        n = n > (max - digit) / 10 ? max : n * 10 + digit;
    }
    return n;
}

std::optional<std::uint8_t> parse_notify(std::string_view value) {
    std::uint8_t flags = 0;
    std::size_t pos = 0;
    while (true) {
        std::size_t comma = value.find(',', pos);
        std::string item = ascii_upper(value.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos));
        if (item == "NEVER") flags |= queue::notify_never;
        else if (item == "SUCCESS") flags |= queue::notify_success;
        else if (item == "FAILURE") flags |= queue::notify_failure;
        else if (item == "DELAY") flags |= queue::notify_delay;
        else return std::nullopt;
        if (comma == std::string_view::npos) break;
        pos = comma + 1;
    }
    return flags;
}

std::optional<std::string> parse_orcpt(std::string_view value) {
    // RFC 3461 4.2: the parameter is at most 500 characters; addr-type is an atom ("rfc822").
    if (value.size() > 500) return std::nullopt;
    auto semicolon = value.find(';');
    if (semicolon == std::string_view::npos || semicolon == 0) return std::nullopt;
    std::string_view type = value.substr(0, semicolon);
    if (!is_keyword(type)) return std::nullopt;
    // Checked here, kept encoded: the queue stores it and the DSN decodes it once, so an address
    // holding "+2B" reaches the report as the client wrote it.
    std::string_view address = value.substr(semicolon + 1);
    auto decoded = xtext::decode(address);
    if (!decoded || decoded->empty()) return std::nullopt;
    // The report writes it decoded into its Original-Recipient: field: an escaped CR or LF would
    // add header fields of the client's choosing to a message we send.
    for (unsigned char c : *decoded)
        if (c < 0x20 || c == 0x7f) return std::nullopt;
    return std::string(type) + ";" + std::string(address);
}

}  // namespace detail

}  // namespace mw::smtp::server
