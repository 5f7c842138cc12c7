#include "policy/ip.hpp"

#include "core/quote_text.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>

namespace mw {

namespace {

constexpr std::array<std::uint8_t, 12> v4_mapped_prefix{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

bool iequals_prefix(std::string_view text, std::string_view prefix) {
    if (text.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i) {
        char a = text[i], b = prefix[i];
        if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
        if (b >= 'A' && b <= 'Z') b = static_cast<char>(b - 'A' + 'a');
        if (a != b) return false;
    }
    return true;
}

// Exactly four decimal octets 0-255 without leading zeros: inet_pton would accept "010.1.1.1" on
// some platforms and inet_aton reads it as octal, so a rule and the kernel could disagree.
std::optional<std::array<std::uint8_t, 4>> parse_dotted_quad(std::string_view text) {
    std::array<std::uint8_t, 4> out{};
    std::size_t pos = 0;
    for (int i = 0; i < 4; ++i) {
        if (i > 0) {
            if (pos >= text.size() || text[pos] != '.') return std::nullopt;
            ++pos;
        }
        std::size_t start = pos;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9' && pos - start < 4) ++pos;
        std::size_t len = pos - start;
        if (len == 0 || len > 3) return std::nullopt;
        if (len > 1 && text[start] == '0') return std::nullopt;
        int value = 0;
        for (std::size_t k = start; k < pos; ++k) value = value * 10 + (text[k] - '0');
        if (value > 255) return std::nullopt;
        out[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(value);
    }
    if (pos != text.size()) return std::nullopt;
    return out;
}

IpAddress from_v4(const std::array<std::uint8_t, 4>& octets) {
    IpAddress ip;
    std::copy(v4_mapped_prefix.begin(), v4_mapped_prefix.end(), ip.bytes.begin());
    std::copy(octets.begin(), octets.end(), ip.bytes.begin() + 12);
    ip.v4 = true;
    return ip;
}

bool is_v4_mapped(const std::array<std::uint8_t, 16>& bytes) {
    return std::equal(v4_mapped_prefix.begin(), v4_mapped_prefix.end(), bytes.begin());
}

std::optional<IpAddress> parse_v6(std::string_view text) {
    // Longer than any textual IPv6 address (INET6_ADDRSTRLEN incl. the NUL) is not one.
    char buf[INET6_ADDRSTRLEN];
    if (text.empty() || text.size() >= sizeof buf) return std::nullopt;
    if (text.find('\0') != std::string_view::npos) return std::nullopt;
    std::copy(text.begin(), text.end(), buf);
    buf[text.size()] = '\0';
    IpAddress ip;
    if (::inet_pton(AF_INET6, buf, ip.bytes.data()) != 1) return std::nullopt;
    // A dual-stack socket reports IPv4 clients as ::ffff:a.b.c.d; they are IPv4 clients, and IPv4
    // rules must see them (otherwise an IPv4 deny range could be sidestepped).
    ip.v4 = is_v4_mapped(ip.bytes);
    return ip;
}

// Splits "ADDR/PREFIX"; a bare address has no prefix.
struct CidrParts {
    std::string_view address;
    std::optional<std::string_view> prefix;
};
CidrParts split_cidr(std::string_view text) {
    auto slash = text.find('/');
    if (slash == std::string_view::npos) return {text, std::nullopt};
    return {text.substr(0, slash), text.substr(slash + 1)};
}

std::optional<int> parse_small_number(std::string_view text, int max_digits) {
    if (text.empty() || static_cast<int>(text.size()) > max_digits) return std::nullopt;
    int value = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return std::nullopt;
        value = value * 10 + (c - '0');
    }
    return value;
}

}  // namespace

std::optional<IpAddress> parse_ip(std::string_view text) {
    if (text.size() >= 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
    if (iequals_prefix(text, "IPv6:")) {
        // RFC 5321 4.1.3: the tag announces an IPv6 address; "IPv6:1.2.3.4" is not one.
        text.remove_prefix(5);
        if (text.find(':') == std::string_view::npos) return std::nullopt;
        return parse_v6(text);
    }
    if (text.find(':') != std::string_view::npos) return parse_v6(text);
    auto octets = parse_dotted_quad(text);
    if (!octets) return std::nullopt;
    return from_v4(*octets);
}

std::string IpAddress::to_string() const {
    char buf[INET6_ADDRSTRLEN];
    if (v4) {
        std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", bytes[12], bytes[13], bytes[14], bytes[15]);
        return buf;
    }
    // RFC 5952 by hand (4.2: the longest run of two or more zero groups becomes "::", the first one
    // on a tie; 4.3: lower case), so the text does not depend on the C library's mixed notation.
    std::array<unsigned, 8> groups{};
    for (std::size_t i = 0; i < 8; ++i) groups[i] = static_cast<unsigned>(bytes[2 * i] << 8 | bytes[2 * i + 1]);
    int best_start = -1, best_len = 0;
    for (int i = 0; i < 8;) {
        if (groups[static_cast<std::size_t>(i)] != 0) {
            ++i;
            continue;
        }
        int start = i;
        while (i < 8 && groups[static_cast<std::size_t>(i)] == 0) ++i;
        if (i - start > best_len) best_start = start, best_len = i - start;
    }
    if (best_len < 2) best_start = -1;
    std::string out;
    for (int i = 0; i < 8; ++i) {
        if (i == best_start) {
            out += "::";
            i += best_len - 1;
            continue;
        }
        if (!out.empty() && out.back() != ':') out += ':';
        std::snprintf(buf, sizeof buf, "%x", groups[static_cast<std::size_t>(i)]);
        out += buf;
    }
    return out;
}

bool IpNetwork::contains(const IpAddress& ip) const {
    if (ip.v4 != address.v4) return false;
    int bits = address.v4 ? 96 + prefix : prefix;
    int full = bits / 8, rest = bits % 8;
    auto a = address.bytes.begin();
    if (!std::equal(a, a + full, ip.bytes.begin())) return false;
    if (rest == 0) return true;
    auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
    return (address.bytes[static_cast<std::size_t>(full)] & mask) == (ip.bytes[static_cast<std::size_t>(full)] & mask);
}

std::string IpNetwork::to_string() const { return address.to_string() + "/" + std::to_string(prefix); }

NetworkParse parse_network(std::string_view text) {
    NetworkParse result;
    auto parts = split_cidr(text);
    auto ip = parse_ip(parts.address);
    if (!ip) {
        if (!parts.prefix) result.error = "invalid IP address " + quote_text(text);
        else result.error = "invalid CIDR " + quote_text(text) + ": invalid IP address " + quote_text(parts.address);
        return result;
    }
    // A mapped address written in IPv6 form keeps an IPv6 prefix length; only a range that lies
    // wholly inside ::ffff:0:0/96 is an IPv4 network.
    bool written_as_v6 = parts.address.find(':') != std::string_view::npos;
    int max = ip->v4 && !written_as_v6 ? 32 : 128;
    int prefix = max;
    if (parts.prefix) {
        auto n = parse_small_number(*parts.prefix, 3);
        if (!n) {
            result.error = "invalid CIDR " + quote_text(text) + ": prefix length " + quote_text(*parts.prefix) + " is not a number";
            return result;
        }
        if (*n > max) {
            result.error = "invalid CIDR " + quote_text(text) + ": prefix length " + std::to_string(*n) +
                           " is out of range for " + (max == 32 ? "IPv4 (0-32)" : "IPv6 (0-128)");
            return result;
        }
        prefix = *n;
    }
    if (ip->v4 && written_as_v6) {
        if (prefix >= 96) prefix -= 96;
        else ip->v4 = false;
    }
    IpNetwork net;
    net.address = *ip;
    net.prefix = prefix;
    // Clear the host bits ("10.0.0.1/8" means 10.0.0.0/8, as Postfix reads it).
    int bits = net.address.v4 ? 96 + prefix : prefix;
    for (int i = 0; i < 16; ++i) {
        int keep = std::clamp(bits - 8 * i, 0, 8);
        auto mask = static_cast<std::uint8_t>(keep == 0 ? 0 : 0xff << (8 - keep));
        net.address.bytes[static_cast<std::size_t>(i)] &= mask;
    }
    result.network = net;
    return result;
}

std::string Endpoint::to_string() const {
    std::string host = !address ? "*" : address->v4 ? address->to_string() : "[" + address->to_string() + "]";
    return host + ":" + std::to_string(port);
}

bool Endpoint::matches(const IpAddress& local, std::uint16_t local_port) const {
    if (local_port != port) return false;
    if (!address) return true;
    // Exchange's "All available IPv4" is 0.0.0.0; "::" is a dual-stack wildcard socket on Linux, so it
    // answers for both families, as the listener would.
    bool unspecified = std::all_of(address->bytes.begin() + (address->v4 ? 12 : 0), address->bytes.end(),
                                   [](std::uint8_t b) { return b == 0; });
    if (unspecified) return address->v4 ? local.v4 : true;
    return *address == local;
}

// Errors give the reason only, like parse_address: the caller names the value and where it was.
EndpointParse parse_endpoint(std::string_view text) {
    EndpointParse result;
    std::string_view host, port_text;
    if (!text.empty() && text.front() == '[') {
        auto close = text.find(']');
        if (close == std::string_view::npos) {
            result.error = "missing ']'";
            return result;
        }
        host = text.substr(0, close + 1);
        std::string_view rest = text.substr(close + 1);
        if (rest.empty() || rest.front() != ':') {
            result.error = "missing port (ADDRESS:PORT)";
            return result;
        }
        port_text = rest.substr(1);
    } else {
        auto colon = text.rfind(':');
        if (colon == std::string_view::npos) {
            result.error = "missing port (ADDRESS:PORT)";
            return result;
        }
        host = text.substr(0, colon);
        port_text = text.substr(colon + 1);
        if (host.find(':') != std::string_view::npos) {
            result.error = "an IPv6 address needs brackets, as in [::1]:25";
            return result;
        }
    }
    auto port = parse_small_number(port_text, 5);
    if (!port || *port < 1 || *port > 65535) {
        result.error = "port " + quote_text(port_text) + " is not a number in 1-65535";
        return result;
    }
    Endpoint endpoint;
    endpoint.port = static_cast<std::uint16_t>(*port);
    if (host != "*") {
        auto ip = parse_ip(host);
        if (!ip || host.empty()) {
            result.error = "invalid IP address " + quote_text(host);
            return result;
        }
        endpoint.address = *ip;
    }
    result.endpoint = endpoint;
    return result;
}

}  // namespace mw
