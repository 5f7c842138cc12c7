// xtext (RFC 3461 section 4), strict for what SMTP clients send, lenient for what MTAs hand us.
#define BOOST_TEST_MODULE core xtext
#include <boost/test/unit_test.hpp>

#include "core/xtext.hpp"

using namespace mw;

BOOST_AUTO_TEST_CASE(strict_decoding) {
    BOOST_TEST(*xtext::decode("") == "");
    BOOST_TEST(*xtext::decode("a+2Bb+3D") == "a+b=");
    BOOST_TEST(*xtext::decode("+2b") == "+");
    BOOST_TEST(!xtext::decode("a+"));
    BOOST_TEST(!xtext::decode("a+2"));
    BOOST_TEST(!xtext::decode("a+ZZ"));
    BOOST_TEST(!xtext::decode("a=b"));
    BOOST_TEST(!xtext::decode("a b"));
    BOOST_TEST(!xtext::decode("\xc3\xa9"));
}

BOOST_AUTO_TEST_CASE(lenient_decoding_keeps_malformed_escapes) {
    BOOST_TEST(xtext::decode_lenient("a+20b+2Bc") == "a b+c");
    BOOST_TEST(xtext::decode_lenient("a+2Bb+3Dc") == "a+b=c");
    BOOST_TEST(xtext::decode_lenient("bad+2") == "bad+2");
    BOOST_TEST(xtext::decode_lenient("bad+ZZ") == "bad+ZZ");
    BOOST_TEST(xtext::decode_lenient("a+zz+2") == "a+zz+2");
    BOOST_TEST(xtext::decode_lenient("/O=Partner+20Org/CN=mx") == "/O=Partner Org/CN=mx");
}

BOOST_AUTO_TEST_CASE(encoding_round_trips) {
    BOOST_TEST(xtext::encode("a+b=c d") == "a+2Bb+3Dc+20d");
    BOOST_TEST(xtext::encode("plain@example.com") == "plain@example.com");
    std::string every;
    for (int c = 0; c < 256; ++c) every += static_cast<char>(c);
    BOOST_TEST(*xtext::decode(xtext::encode(every)) == every);
    BOOST_TEST(xtext::decode_lenient(xtext::encode(every)) == every);
}
