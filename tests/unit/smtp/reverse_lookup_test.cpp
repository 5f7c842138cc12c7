// The reverse-DNS names of client addresses (RFC 1035 section 3.5, RFC 3596 section 2.5); the
// lookups themselves run against a private DNS in tests/integration/standalone_reverse_dns_test.
#define BOOST_TEST_MODULE reverse_lookup
#include <boost/test/unit_test.hpp>

#include "smtp/dns/reverse_lookup.hpp"

using mw::smtp::dns::reverse_name;

BOOST_AUTO_TEST_CASE(ipv4_octets_are_reversed_under_in_addr_arpa) {
    BOOST_TEST(reverse_name("192.0.2.1") == "1.2.0.192.in-addr.arpa");
    BOOST_TEST(reverse_name("127.0.77.10") == "10.77.0.127.in-addr.arpa");
}

BOOST_AUTO_TEST_CASE(ipv6_nibbles_are_reversed_under_ip6_arpa) {
    BOOST_TEST(reverse_name("2001:db8::567:89ab") ==
               "b.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
    BOOST_TEST(reverse_name("::1") == "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa");
}

BOOST_AUTO_TEST_CASE(what_is_not_an_address_has_no_reverse_name) {
    BOOST_TEST(reverse_name("").empty());
    BOOST_TEST(reverse_name("mx.example.com").empty());
    BOOST_TEST(reverse_name("192.0.2.256").empty());
    BOOST_TEST(reverse_name("[192.0.2.1]").empty());
}
