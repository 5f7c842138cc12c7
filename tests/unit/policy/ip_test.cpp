#define BOOST_TEST_MODULE ip
#include <boost/test/unit_test.hpp>

#include "policy/ip.hpp"

using namespace mw;

namespace {

IpAddress ip(std::string_view text) {
    auto a = parse_ip(text);
    BOOST_TEST_REQUIRE(a.has_value(), "'" << text << "' did not parse");
    return *a;
}

IpNetwork net(std::string_view text) {
    auto n = parse_network(text);
    BOOST_TEST_REQUIRE(n.network.has_value(), "'" << text << "': " << n.error);
    BOOST_TEST(n.error.empty());
    return *n.network;
}

std::string net_error(std::string_view text) {
    auto n = parse_network(text);
    BOOST_TEST(!n.network.has_value(), text);
    return n.error;
}

Endpoint endpoint(std::string_view text) {
    auto e = parse_endpoint(text);
    BOOST_TEST_REQUIRE(e.endpoint.has_value(), "'" << text << "': " << e.error);
    return *e.endpoint;
}

}  // namespace

BOOST_AUTO_TEST_CASE(ipv4_strict_dotted_quad) {
    auto a = ip("192.0.2.1");
    BOOST_TEST(a.v4);
    BOOST_TEST(a.to_string() == "192.0.2.1");
    BOOST_TEST(a.bytes[10] == 0xff);
    BOOST_TEST(a.bytes[11] == 0xff);
    BOOST_TEST(a.bytes[15] == 1);
    BOOST_TEST(ip("0.0.0.0").to_string() == "0.0.0.0");
    BOOST_TEST(ip("255.255.255.255").to_string() == "255.255.255.255");
    for (const char* bad : {"300.1.1.1", "010.1.1.1", "1.2.3", "1.2.3.4.5", "1.2.3.", ".1.2.3", "1..2.3",
                            "1.2.3.4 ", " 1.2.3.4", "0x1.2.3.4", "1.2.3.0004", "256.0.0.0", "", "a.b.c.d",
                            "1.2.3.-4", "+1.2.3.4", "IPv6:1.2.3.4"})
        BOOST_TEST(!parse_ip(bad).has_value(), bad);
}

BOOST_AUTO_TEST_CASE(ipv6_rfc5952_text) {
    auto a = ip("2001:DB8:0:0:0:0:0:1");
    BOOST_TEST(!a.v4);
    BOOST_TEST(a.to_string() == "2001:db8::1");
    BOOST_TEST(ip("::").to_string() == "::");
    BOOST_TEST(ip("::1").to_string() == "::1");
    BOOST_TEST(ip("2001:db8:0:1:1:1:1:1").to_string() == "2001:db8:0:1:1:1:1:1");  // one zero group stays
    BOOST_TEST(ip("2001:0:0:1:0:0:0:1").to_string() == "2001:0:0:1::1");          // longest run
    BOOST_TEST(ip("2001:db8:0:0:1:0:0:1").to_string() == "2001:db8::1:0:0:1");    // first on a tie
    BOOST_TEST(ip("::102:304").to_string() == "::102:304");                       // no mixed notation
    BOOST_TEST(ip("[2001:db8::1]").to_string() == "2001:db8::1");
    BOOST_TEST(ip("[IPv6:2001:db8::1]").to_string() == "2001:db8::1");
    BOOST_TEST(ip("IPv6:2001:db8::1").to_string() == "2001:db8::1");
    for (const char* bad : {"2001:db8::1::1", "2001:db8:::1", "12345::", "[2001:db8::1", "fe80::1%eth0", ":::"})
        BOOST_TEST(!parse_ip(bad).has_value(), bad);
}

BOOST_AUTO_TEST_CASE(ipv4_mapped_ipv6_is_an_ipv4_client) {
    auto a = ip("::ffff:192.0.2.1");
    BOOST_TEST(a.v4);
    BOOST_TEST((a == ip("192.0.2.1")));
    BOOST_TEST(net("192.0.2.0/24").contains(a));
}

BOOST_AUTO_TEST_CASE(cidr_prefixes) {
    auto n = net("10.0.0.0/8");
    BOOST_TEST(n.prefix == 8);
    BOOST_TEST(n.to_string() == "10.0.0.0/8");
    BOOST_TEST(n.contains(ip("10.255.1.2")));
    BOOST_TEST(!n.contains(ip("11.0.0.0")));

    auto all = net("0.0.0.0/0");
    BOOST_TEST(all.contains(ip("1.2.3.4")));
    BOOST_TEST(all.contains(ip("255.255.255.255")));
    BOOST_TEST(!all.contains(ip("::1")));

    auto host = net("192.0.2.7/32");
    BOOST_TEST(host.contains(ip("192.0.2.7")));
    BOOST_TEST(!host.contains(ip("192.0.2.6")));
    BOOST_TEST(net("192.0.2.7").to_string() == "192.0.2.7/32");

    auto odd = net("192.0.2.128/25");
    BOOST_TEST(odd.contains(ip("192.0.2.200")));
    BOOST_TEST(!odd.contains(ip("192.0.2.127")));
}

BOOST_AUTO_TEST_CASE(host_bits_are_cleared) {
    BOOST_TEST(net("10.1.2.3/8").to_string() == "10.0.0.0/8");
    BOOST_TEST(net("192.0.2.255/25").to_string() == "192.0.2.128/25");
    BOOST_TEST(net("2001:db8::ffff/32").to_string() == "2001:db8::/32");
    BOOST_TEST(net("1.2.3.4/0").to_string() == "0.0.0.0/0");
    BOOST_TEST(net("2001:db8::1/0").to_string() == "::/0");
}

BOOST_AUTO_TEST_CASE(ipv6_networks) {
    auto n = net("2001:db8::/32");
    BOOST_TEST(n.contains(ip("2001:db8:ffff::1")));
    BOOST_TEST(!n.contains(ip("2001:db9::1")));
    auto all = net("::/0");
    BOOST_TEST(all.contains(ip("::1")));
    BOOST_TEST(!all.contains(ip("10.0.0.1")));  // families never mix
    auto host = net("2001:db8::1/128");
    BOOST_TEST(host.contains(ip("2001:db8::1")));
    BOOST_TEST(!host.contains(ip("2001:db8::2")));
    BOOST_TEST(net("[2001:db8::]/48").to_string() == "2001:db8::/48");
    BOOST_TEST(net("2001:db8::1").prefix == 128);
}

BOOST_AUTO_TEST_CASE(families_never_mix) {
    // 10.0.0.0/8 is ::ffff:10.0.0.0/104 inside, yet no IPv6 address is in it and vice versa.
    BOOST_TEST(!net("0.0.0.0/0").contains(ip("::")));
    BOOST_TEST(!net("0.0.0.0/0").contains(ip("2001:db8::1")));
    BOOST_TEST(!net("::/0").contains(ip("0.0.0.0")));
    BOOST_TEST(!net("::/96").contains(ip("1.2.3.4")));
}

BOOST_AUTO_TEST_CASE(mapped_networks_written_in_ipv6) {
    auto n = net("::ffff:10.0.0.0/104");
    BOOST_TEST(n.address.v4);
    BOOST_TEST(n.prefix == 8);
    BOOST_TEST(n.contains(ip("10.9.9.9")));
    auto wide = net("::ffff:0:0/80");
    BOOST_TEST(!wide.address.v4);
    BOOST_TEST(wide.prefix == 80);
}

BOOST_AUTO_TEST_CASE(cidr_error_texts) {
    BOOST_TEST(net_error("10.0.0.0/33") == "invalid CIDR '10.0.0.0/33': prefix length 33 is out of range for IPv4 (0-32)");
    BOOST_TEST(net_error("2001:db8::/129") ==
               "invalid CIDR '2001:db8::/129': prefix length 129 is out of range for IPv6 (0-128)");
    BOOST_TEST(net_error("300.1.1.1") == "invalid IP address '300.1.1.1'");
    BOOST_TEST(net_error("300.1.1.1/8") == "invalid CIDR '300.1.1.1/8': invalid IP address '300.1.1.1'");
    BOOST_TEST(net_error("10.0.0.0/") == "invalid CIDR '10.0.0.0/': prefix length '' is not a number");
    BOOST_TEST(net_error("10.0.0.0/x") == "invalid CIDR '10.0.0.0/x': prefix length 'x' is not a number");
    BOOST_TEST(net_error("10.0.0.0/-1") == "invalid CIDR '10.0.0.0/-1': prefix length '-1' is not a number");
    BOOST_TEST(net_error("10.0.0.0/8/8") == "invalid CIDR '10.0.0.0/8/8': prefix length '8/8' is not a number");
    BOOST_TEST(net_error("") == "invalid IP address ''");
    BOOST_TEST(net_error("10.0.0.0/1000") == "invalid CIDR '10.0.0.0/1000': prefix length '1000' is not a number");
}

BOOST_AUTO_TEST_CASE(endpoints_parse_and_print) {
    auto any4 = endpoint("0.0.0.0:25");
    BOOST_TEST(any4.port == 25);
    BOOST_TEST(any4.to_string() == "0.0.0.0:25");
    BOOST_TEST(endpoint("[::]:25").to_string() == "[::]:25");
    BOOST_TEST(endpoint("127.0.0.1:2525").to_string() == "127.0.0.1:2525");
    auto star = endpoint("*:587");
    BOOST_TEST(!star.address.has_value());
    BOOST_TEST(star.to_string() == "*:587");
    BOOST_TEST(endpoint("[2001:db8::1]:65535").to_string() == "[2001:db8::1]:65535");
}

BOOST_AUTO_TEST_CASE(endpoint_errors) {
    for (const char* bad : {"0.0.0.0", "0.0.0.0:", "0.0.0.0:0", "0.0.0.0:65536", "0.0.0.0:x", "::1:25",
                            "[::1]", "[::1]25", "[::1:25", "300.0.0.1:25", ":25", "*", "host.example:25",
                            "0.0.0.0:+25", "0.0.0.0:123456"}) {
        auto e = parse_endpoint(bad);
        BOOST_TEST(!e.endpoint.has_value(), bad);
        BOOST_TEST(!e.error.empty(), bad);
    }
    // The reason only: the loader names the value ("invalid bind address 'X': ...").
    BOOST_TEST(parse_endpoint("0.0.0.0:0").error == "port '0' is not a number in 1-65535");
    BOOST_TEST(parse_endpoint("::1:25").error == "an IPv6 address needs brackets, as in [::1]:25");
    BOOST_TEST(parse_endpoint("0.0.0.0").error == "missing port (ADDRESS:PORT)");
    BOOST_TEST(parse_endpoint("300.0.0.1:25").error == "invalid IP address '300.0.0.1'");
    BOOST_TEST(parse_endpoint("[::1:25").error == "missing ']'");
}

BOOST_AUTO_TEST_CASE(endpoint_matching) {
    auto any4 = endpoint("0.0.0.0:25");
    BOOST_TEST(any4.matches(ip("192.0.2.1"), 25));
    BOOST_TEST(any4.matches(ip("127.0.0.1"), 25));
    BOOST_TEST(!any4.matches(ip("2001:db8::1"), 25));  // "All available IPv4"
    BOOST_TEST(!any4.matches(ip("192.0.2.1"), 587));

    auto any6 = endpoint("[::]:25");
    BOOST_TEST(any6.matches(ip("2001:db8::1"), 25));
    BOOST_TEST(any6.matches(ip("192.0.2.1"), 25));  // a dual-stack socket takes both
    BOOST_TEST(!any6.matches(ip("2001:db8::1"), 26));

    auto star = endpoint("*:25");
    BOOST_TEST(star.matches(ip("192.0.2.1"), 25));
    BOOST_TEST(star.matches(ip("::1"), 25));
    BOOST_TEST(!star.matches(ip("::1"), 24));

    auto exact = endpoint("127.0.0.1:2525");
    BOOST_TEST(exact.matches(ip("127.0.0.1"), 2525));
    BOOST_TEST(!exact.matches(ip("127.0.0.2"), 2525));
    BOOST_TEST(!exact.matches(ip("::1"), 2525));
    BOOST_TEST(exact.matches(ip("::ffff:127.0.0.1"), 2525));
}
