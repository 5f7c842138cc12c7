#include "policy/address.hpp"

#include <algorithm>

#include "policy/domain_name.hpp"
#include "policy/utf8_check.hpp"
#include "core/quote_text.hpp"

namespace mw {

namespace {

// RFC 5321 4.5.3.1.1 and 4.5.3.1.3 (the path counts its angle brackets).
constexpr std::size_t max_local_part = 64;
constexpr std::size_t max_path = 256;

bool is_atext(unsigned char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    // RFC 6531 3.3: UTF8-non-ascii is atext and qtext under SMTPUTF8.
    if (c >= 0x80) return true;
    constexpr std::string_view specials = "!#$%&'*+-/=?^_`{|}~";
    return specials.find(static_cast<char>(c)) != std::string_view::npos;
}

// Dot-string (RFC 5321 4.1.2): atoms of atext separated by single dots.
bool is_dot_string(std::string_view s) {
    if (s.empty() || s.front() == '.' || s.back() == '.') return false;
    char prev = 0;
    for (char c : s) {
        if (c == '.' ? prev == '.' : !is_atext(static_cast<unsigned char>(c))) return false;
        prev = c;
    }
    return true;
}

std::string canonical_quoted(std::string_view content) {
    std::string out = "\"";
    for (char c : content) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    out += '"';
    return out;
}

struct LocalPart {
    std::string content;     // unquoted, escapes resolved
    bool quoted = false;
    std::size_t raw_end = 0;  // index of the '@' that ends it
};

// Reads the local part of `mailbox` up to its '@'; returns an error text or "".
std::string read_local_part(std::string_view mailbox, LocalPart& local) {
    if (!mailbox.empty() && mailbox.front() == '"') {
        local.quoted = true;
        std::size_t pos = 1;
        while (true) {
            if (pos >= mailbox.size()) return "unbalanced quote in local part";
            unsigned char c = static_cast<unsigned char>(mailbox[pos]);
            if (c == '"') break;
            if (c == '\\') {
                if (pos + 1 >= mailbox.size()) return "unbalanced quote in local part";
                unsigned char escaped = static_cast<unsigned char>(mailbox[pos + 1]);
                // quoted-pairSMTP: a backslash may only escape printable ASCII.
                if (escaped < 0x20 || escaped > 0x7e) return "invalid escape in quoted local part";
                local.content += static_cast<char>(escaped);
                pos += 2;
                continue;
            }
            if (c < 0x20 || c == 0x7f) return "control character in local part";
            local.content += static_cast<char>(c);
            ++pos;
        }
        ++pos;  // the closing quote
        if (pos >= mailbox.size()) return "missing domain";
        if (mailbox[pos] != '@') return "unexpected " + quote_text(mailbox.substr(pos, 1)) + " after the quoted local part";
        local.raw_end = pos;
        return {};
    }
    auto at = mailbox.find('@');
    std::string_view text = mailbox.substr(0, at);
    for (std::size_t i = 0; i < text.size(); ++i) {
        auto c = static_cast<unsigned char>(text[i]);
        if (c == ' ') return "space in local part (it must be quoted)";
        if (c < 0x20 || c == 0x7f) return "control character in local part";
        if (c != '.' && !is_atext(c)) return "invalid character " + quote_text(text.substr(i, 1)) + " in local part";
    }
    if (at == std::string_view::npos) return text.empty() ? "empty address" : "missing domain";
    if (!text.empty() && !is_dot_string(text)) return "misplaced '.' in local part";
    local.content = std::string(text);
    local.raw_end = at;
    return {};
}

// Validates the source route "@a,@b" of "@a,@b:u@d"; it is read, then ignored (RFC 5321 C.).
bool valid_source_route(std::string_view route) {
    std::size_t start = 0;
    while (true) {
        auto comma = route.find(',', start);
        std::string_view hop = route.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
        if (hop.size() < 2 || hop.front() != '@' || hop[1] == '[' || !normalize_domain(hop.substr(1))) return false;
        if (comma == std::string_view::npos) return true;
        start = comma + 1;
    }
}

AddressParse failure(std::string error) {
    AddressParse r;
    r.error = std::move(error);
    return r;
}

}  // namespace

std::string Address::str() const { return null ? std::string() : local + "@" + domain; }

AddressParse parse_address(std::string_view text) {
    std::string_view path = text;
    bool bracketed = false;
    if (!path.empty() && path.front() == '<') {
        if (path.size() < 2 || path.back() != '>') return failure("missing closing '>'");
        path = path.substr(1, path.size() - 2);
        bracketed = true;
    } else if (!path.empty() && path.back() == '>') {
        return failure("missing opening '<'");
    }
    if (path.empty()) {
        if (!bracketed) return failure("empty address");
        AddressParse r;
        r.address = Address{};
        r.address->null = true;
        return r;
    }
    if (path.size() + 2 > max_path)
        return failure("address too long (" + std::to_string(path.size() + 2) + " octets; the limit is 256)");

    std::string_view mailbox = path;
    if (mailbox.front() == '@') {
        auto colon = mailbox.find(':');
        if (colon == std::string_view::npos) return failure("empty local part");
        if (!valid_source_route(mailbox.substr(0, colon)))
            return failure("invalid source route " + quote_text(mailbox.substr(0, colon)));
        mailbox.remove_prefix(colon + 1);
        if (mailbox.empty()) return failure("missing mailbox after the source route");
    }

    LocalPart local;
    if (auto error = read_local_part(mailbox, local); !error.empty()) return failure(std::move(error));
    if (local.content.empty()) return failure("empty local part");
    if (local.raw_end > max_local_part)
        return failure("local part too long (" + std::to_string(local.raw_end) + " octets; the limit is 64)");
    if (!policy::valid_utf8(local.content)) return failure("invalid UTF-8 in local part");

    std::string why;
    auto domain = normalize_domain_checked(mailbox.substr(local.raw_end + 1), why);
    if (!domain) return failure(std::move(why));

    Address address;
    // Local parts compare case-insensitively (README "Address patterns"); only ASCII is folded, as UTF-8 case
    // folding is locale business and SMTPUTF8 mailboxes are compared byte for byte elsewhere.
    std::transform(local.content.begin(), local.content.end(), local.content.begin(),
                   [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; });
    // Postfix (allow_percent_hack, swap_bangpath, resolve_dequoted_address) and Sendmail reroute these.
    address.has_routing_characters = local.content.find_first_of("%!") != std::string::npos ||
                                     (local.quoted && local.content.find('@') != std::string::npos);
    address.local = is_dot_string(local.content) ? std::move(local.content) : canonical_quoted(local.content);
    address.domain = std::move(*domain);
    std::size_t normalized = address.local.size() + 1 + address.domain.size() + 2;
    if (normalized > max_path)
        return failure("address too long (" + std::to_string(normalized) + " octets; the limit is 256)");
    AddressParse r;
    r.address = std::move(address);
    return r;
}

}  // namespace mw
