// IP addresses and networks (CIDR), IPv4 and IPv6. IPv4 is stored as an IPv4-mapped IPv6 address
// (::ffff:a.b.c.d) so one comparison serves both families; an IPv4 prefix /n is /(96+n) internally.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mw {

struct IpAddress {
    std::array<std::uint8_t, 16> bytes{};
    bool v4 = false;
    auto operator<=>(const IpAddress&) const = default;
    std::string to_string() const;  // 192.0.2.1 or 2001:db8::1 (RFC 5952)
};

// Accepts dotted-quad IPv4 (exactly four decimal octets 0-255, no leading-zero tricks) and any
// RFC 4291 textual IPv6 address; an optional surrounding [ ] and an "IPv6:" prefix are stripped.
std::optional<IpAddress> parse_ip(std::string_view text);

struct IpNetwork {
    IpAddress address;  // host bits cleared
    int prefix = 0;     // in the address' own family: 0-32 for IPv4, 0-128 for IPv6
    bool contains(const IpAddress& ip) const;
    std::string to_string() const;  // 10.0.0.0/8
};

// "10.0.0.0/8", "2001:db8::/32", or a bare address (/32 or /128). Host bits set ("10.0.0.1/8") is
// accepted and cleared, as Postfix does. Returns an error text for the diagnostics on failure.
struct NetworkParse {
    std::optional<IpNetwork> network;
    std::string error;  // e.g. "prefix length 33 is out of range for IPv4 (0-32)"
};
NetworkParse parse_network(std::string_view text);

// "0.0.0.0:25", "[::]:25", "127.0.0.1:2525", "*:25" (any address). Port required.
struct Endpoint {
    std::optional<IpAddress> address;  // nullopt: any address
    std::uint16_t port = 0;
    std::string to_string() const;
    bool matches(const IpAddress& local, std::uint16_t local_port) const;  // any-address matches both families
};
struct EndpointParse {
    std::optional<Endpoint> endpoint;
    std::string error;
};
EndpointParse parse_endpoint(std::string_view text);

}  // namespace mw
