#include "policy/domain_name.hpp"

#include <idn2.h>

#include <algorithm>
#include <memory>

#include "policy/address.hpp"
#include "policy/ip.hpp"
#include "core/quote_text.hpp"

namespace mw {

namespace {

// RFC 5321 4.5.3.1.2; RFC 1035 2.3.4 for a label.
constexpr std::size_t max_domain = 255;
constexpr std::size_t max_label = 63;

struct Idn2Deleter {
    void operator()(char* p) const { idn2_free(p); }
};
using Idn2StringPtr = std::unique_ptr<char, Idn2Deleter>;

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool is_ldh_label(std::string_view label) {
    if (label.empty() || label.size() > max_label) return false;
    if (label.front() == '-' || label.back() == '-') return false;
    return std::all_of(label.begin(), label.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    });
}

// UTS #46 non-transitional processing (IDNA2008, as browsers and MTAs do it) of one label.
// Per label rather than per name, so that ASCII labels libidn2 would refuse for reasons that
// do not apply to host names ("ab--c", hyphens in positions 3-4) stay valid.
std::optional<std::string> idn_to_ascii(std::string_view label) {
    std::string input(label);
    char* raw = nullptr;
    int rc = idn2_to_ascii_8z(input.c_str(), &raw, IDN2_NONTRANSITIONAL);
    Idn2StringPtr out(raw);
    if (rc != IDN2_OK || !out) return std::nullopt;
    std::string result(out.get());
    std::transform(result.begin(), result.end(), result.begin(), lower);
    return result;
}

std::optional<std::string> normalize_label(std::string_view label) {
    bool ascii = std::all_of(label.begin(), label.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
    if (ascii) {
        std::string out(label);
        std::transform(out.begin(), out.end(), out.begin(), lower);
        if (!is_ldh_label(out)) return std::nullopt;
        // An A-label must be valid punycode of a valid U-label, or Unicode and ASCII spellings of
        // the same name could differ.
        if (out.starts_with("xn--")) {
            auto checked = idn_to_ascii(out);
            if (!checked || *checked != out) return std::nullopt;
        }
        return out;
    }
    auto out = idn_to_ascii(label);
    // The mapping may yield a dot (U+3002) or a non-LDH character; both make the label invalid here.
    if (!out || !is_ldh_label(*out)) return std::nullopt;
    return out;
}

// "[192.0.2.1]" or "[IPv6:2001:db8::1]" (RFC 5321 4.1.3), written back in canonical form.
std::optional<std::string> normalize_literal(std::string_view literal) {
    if (literal.size() < 3 || literal.back() != ']') return std::nullopt;
    std::string_view inner = literal.substr(1, literal.size() - 2);
    bool tagged = inner.size() > 5 && lower(inner[0]) == 'i' && lower(inner[1]) == 'p' && lower(inner[2]) == 'v' &&
                  inner[3] == '6' && inner[4] == ':';
    // A General-address-literal ("tag:content") names no address mailwarden could judge.
    if (!tagged && inner.find(':') != std::string_view::npos) return std::nullopt;
    auto ip = parse_ip(inner);
    if (!ip) return std::nullopt;
    // Built with append: GCC 12 at -O3 misreports `"[" + std::string&&` as overlapping (-Wrestrict).
    std::string out = ip->v4 ? "[" : "[IPv6:";
    out.append(ip->to_string()).push_back(']');
    return out;
}

}  // namespace

std::optional<std::string> normalize_domain_checked(std::string_view domain, std::string& why) {
    if (domain.empty()) {
        why = "missing domain";
        return std::nullopt;
    }
    if (domain.front() == '[') {
        auto literal = normalize_literal(domain);
        if (!literal) why = "invalid address literal " + quote_text(domain);
        return literal;
    }
    std::string_view name = domain;
    if (name.back() == '.') name.remove_suffix(1);  // the root: "example.com." is example.com
    // Characters that cannot appear in any label, even before IDNA mapping; NUL would also cut the
    // C string handed to libidn2.
    bool bad = name.empty() || std::any_of(name.begin(), name.end(), [](char c) {
        auto u = static_cast<unsigned char>(c);
        return u <= 0x20 || u == 0x7f;
    });
    auto invalid = [&] {
        why = "invalid domain " + quote_text(domain);
        return std::nullopt;
    };
    if (bad) return invalid();
    std::string out;
    out.reserve(name.size());
    std::size_t start = 0;
    while (true) {
        auto dot = name.find('.', start);
        std::string_view label = name.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
        auto normalized = normalize_label(label);
        if (!normalized) return invalid();
        if (!out.empty()) out += '.';
        out += *normalized;
        if (dot == std::string_view::npos) break;
        start = dot + 1;
    }
    if (out.size() > max_domain) {
        why = "domain too long (" + std::to_string(out.size()) + " octets; the limit is 255)";
        return std::nullopt;
    }
    return out;
}

std::optional<std::string> normalize_domain(std::string_view domain) {
    std::string why;
    return normalize_domain_checked(domain, why);
}

bool domain_matches(std::string_view domain, std::string_view pattern, bool subdomains) {
    if (!subdomains) return domain == pattern;
    // "*.d" is a proper subdomain only: "x.d", never "d" itself, never "xd".
    return !pattern.empty() && domain.size() > pattern.size() + 1 && domain.ends_with(pattern) &&
           domain[domain.size() - pattern.size() - 1] == '.';
}

}  // namespace mw
