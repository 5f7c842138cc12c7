// DNS record decoding (RFC 1035 section 3.3 wire form) and what an answer means for its caller.
#define BOOST_TEST_MODULE dns_answer
#include <boost/test/unit_test.hpp>

#include "smtp/dns/dns_answer.hpp"

namespace mw::smtp::dns {
// Boost.Test prints the values of a failed comparison.
inline std::ostream& operator<<(std::ostream& os, DnsStatus s) { return os << to_string(s); }
inline std::ostream& operator<<(std::ostream& os, DnsSecurity s) { return os << to_string(s); }
}  // namespace mw::smtp::dns

using namespace mw::smtp::dns;
using namespace std::string_literals;

BOOST_AUTO_TEST_CASE(names_are_lower_case_without_the_root_dot) {
    std::string out;
    std::size_t used = 0;
    BOOST_TEST(decode_name("\x03MX1\x07" "example\x03" "com\x00"s, out, &used));
    BOOST_TEST(out == "mx1.example.com");
    BOOST_TEST(used == 17u);
    BOOST_TEST(decode_name("\x00"s, out));
    BOOST_TEST(out == "");
    // A dot or a space inside a label cannot pass for a label boundary.
    BOOST_TEST(decode_name("\x03" "a.b\x02" "c \x00"s, out));
    BOOST_TEST(out == "a\\046b.c\\032");
    BOOST_TEST(!decode_name("\x05" "ab"s, out));         // label runs past the end
    BOOST_TEST(!decode_name("\x02" "ab"s, out));         // no terminating root label
    BOOST_TEST(!decode_name("\xc0\x0c"s, out));          // a compression pointer has no place in RDATA here
}

BOOST_AUTO_TEST_CASE(each_type_decodes_and_malformed_data_is_refused) {
    DnsAnswer a;
    a.type = DnsType::mx;
    BOOST_TEST(decode_rdata(DnsType::mx, "\x00\x0a\x02mx\x07" "example\x00"s, a));
    BOOST_TEST_REQUIRE(a.mx.size() == 1u);
    BOOST_TEST(a.mx[0].preference == 10);
    BOOST_TEST(a.mx[0].host == "mx.example");
    BOOST_TEST(decode_rdata(DnsType::mx, "\x00\x00\x00"s, a));  // null MX, RFC 7505
    BOOST_TEST(a.mx[1].host == "");
    BOOST_TEST(!decode_rdata(DnsType::mx, "\x00\x0a\x02mx\x00junk"s, a));  // bytes after the name

    BOOST_TEST(decode_rdata(DnsType::a, "\xc0\x00\x02\x01"s, a));
    BOOST_TEST(decode_rdata(DnsType::aaaa, "\x20\x01\x0d\xb8" + std::string(11, '\0') + "\x01", a));
    BOOST_TEST(a.addresses == (std::vector<std::string>{"192.0.2.1", "2001:db8::1"}), boost::test_tools::per_element());
    BOOST_TEST(!decode_rdata(DnsType::a, "\x01\x02\x03"s, a));

    BOOST_TEST(decode_rdata(DnsType::txt, "\x07v=spf1 \x04-all"s, a));
    BOOST_TEST(a.texts.back() == "v=spf1 -all");
    BOOST_TEST(!decode_rdata(DnsType::txt, "\x09short"s, a));

    BOOST_TEST(decode_rdata(DnsType::tlsa, "\x03\x01\x01\xab\xcd"s, a));
    BOOST_TEST(a.tlsa.back().usage == 3);
    BOOST_TEST(a.tlsa.back().data == (std::vector<unsigned char>{0xab, 0xcd}), boost::test_tools::per_element());
    BOOST_TEST(!decode_rdata(DnsType::tlsa, "\x03\x01"s, a));

    BOOST_TEST(decode_rdata(DnsType::ptr, "\x04host\x04test\x00"s, a));
    BOOST_TEST(a.names.back() == "host.test");
}

BOOST_AUTO_TEST_CASE(only_validated_or_unsigned_answers_are_usable) {
    DnsAnswer a;
    a.type = DnsType::mx;
    a.status = DnsStatus::answer;
    BOOST_TEST(a.usable());
    a.security = DnsSecurity::bogus;
    a.detail = "signature expired";
    BOOST_TEST(!a.usable());
    BOOST_TEST(a.failure() == "DNSSEC validation failed: signature expired");
    a.security = DnsSecurity::insecure;
    a.status = DnsStatus::server_failure;
    a.rcode = 2;
    a.detail.clear();
    BOOST_TEST(!a.usable());
    BOOST_TEST(a.failure() == "SERVFAIL");
    a.status = DnsStatus::nxdomain;
    BOOST_TEST(a.usable());
    a.status = DnsStatus::timeout;
    BOOST_TEST(!a.usable());
    a.status = DnsStatus::resolver_error;
    a.detail = "error sending query";
    BOOST_TEST(a.failure() == "local resolver error: error sending query");
}
