// The name of an inbound client (README "Reverse DNS"), as Postfix's smtpd finds it: the PTR records
// of its address, then forward confirmation: a PTR name counts only when its A (IPv4) or AAAA (IPv6)
// records contain the address, so that whoever controls a reverse zone cannot claim any name. One
// deadline bounds the whole lookup; a slow DNS costs the client a name, never the connection.
#pragma once

#include <chrono>
#include <string>

#include "smtp/asio.hpp"
#include "smtp/dns/resolver.hpp"

namespace mw::smtp::dns {

struct ClientName {
    enum class Status {
        confirmed,      // `name` is the PTR name whose addresses include the client's
        no_ptr,         // the address has no PTR record
        not_confirmed,  // PTR names exist; none resolves back to the address (`ptr` is the first)
        temporary,      // DNS did not answer in time, or was bogus
    };
    Status status = Status::temporary;
    std::string name = "unknown";  // the confirmed name, else "unknown" (Postfix's word)
    std::string ptr;               // not_confirmed: the name the PTR record gave
    std::string detail;            // temporary: why
};

// "192.0.2.1" -> "1.2.0.192.in-addr.arpa", "2001:db8::1" -> nibbles under ip6.arpa (RFC 3596
// section 2.5); empty when `address` is not an IP address.
std::string reverse_name(const std::string& address);

asio::awaitable<ClientName> lookup_client_name(std::shared_ptr<Resolver> resolver, std::string address,
                                               std::chrono::milliseconds deadline);

}  // namespace mw::smtp::dns
