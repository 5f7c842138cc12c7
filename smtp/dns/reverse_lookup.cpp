#include "smtp/dns/reverse_lookup.hpp"

#include <arpa/inet.h>

#include <algorithm>

namespace mw::smtp::dns {

std::string reverse_name(const std::string& address) {
    unsigned char b[16];
    if (::inet_pton(AF_INET, address.c_str(), b) == 1)
        return std::to_string(b[3]) + "." + std::to_string(b[2]) + "." + std::to_string(b[1]) + "." +
               std::to_string(b[0]) + ".in-addr.arpa";
    if (::inet_pton(AF_INET6, address.c_str(), b) != 1) return "";
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    for (int i = 15; i >= 0; --i) {
        out += hex[b[i] & 0xf];
        out += '.';
        out += hex[b[i] >> 4];
        out += '.';
    }
    return out + "ip6.arpa";
}

namespace {

// Compares addresses in binary form: "::1" and "0:0::1" are one address.
bool same_address(const std::string& a, const std::string& b) {
    unsigned char x[16], y[16];
    for (int family : {AF_INET, AF_INET6}) {
        if (::inet_pton(family, a.c_str(), x) == 1 && ::inet_pton(family, b.c_str(), y) == 1)
            return std::equal(x, x + (family == AF_INET ? 4 : 16), y);
    }
    return false;
}

// A client with twenty PTR names gets the first few tried, as Postfix tries one.
constexpr std::size_t max_ptr_names = 5;

}  // namespace

asio::awaitable<ClientName> lookup_client_name(std::shared_ptr<Resolver> resolver, std::string address,
                                               std::chrono::milliseconds deadline) {
    using Clock = std::chrono::steady_clock;
    const auto end = Clock::now() + deadline;
    auto left = [&] {
        auto d = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now());
        return std::max(d, std::chrono::milliseconds(1));
    };
    ClientName out;
    std::string rname = reverse_name(address);
    if (rname.empty()) {
        out.status = ClientName::Status::no_ptr;
        co_return out;
    }
    DnsAnswer ptr = co_await resolver->query(rname, DnsType::ptr, left());
    if (!ptr.usable()) {
        out.detail = ptr.failure();
        co_return out;
    }
    if (ptr.names.empty()) {
        out.status = ClientName::Status::no_ptr;
        co_return out;
    }
    const bool v4 = address.find(':') == std::string::npos;
    bool temporary = false;
    std::size_t tried = 0;
    for (const auto& name : ptr.names) {
        if (tried++ == max_ptr_names) break;
        if (name.empty() || name.find('\\') != std::string::npos) continue;  // not a host name
        DnsAnswer forward = co_await resolver->query(name, v4 ? DnsType::a : DnsType::aaaa, left());
        if (!forward.usable()) {
            temporary = true;
            out.detail = forward.failure();
            continue;
        }
        for (const auto& a : forward.addresses) {
            if (!same_address(a, address)) continue;
            out.status = ClientName::Status::confirmed;
            out.name = name;
            out.detail.clear();
            co_return out;
        }
    }
    out.status = temporary ? ClientName::Status::temporary : ClientName::Status::not_confirmed;
    out.ptr = ptr.names.front();
    co_return out;
}

}  // namespace mw::smtp::dns
