#define BOOST_TEST_MODULE smtp sasl
#include <boost/test/unit_test.hpp>

#include <random>

#include "smtp/server/sasl.hpp"

using namespace mw::smtp::server;
using namespace std::string_literals;

BOOST_AUTO_TEST_CASE(base64_rfc4648_vectors) {
    // RFC 4648 section 10.
    const std::pair<const char*, const char*> vectors[] = {
        {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
    };
    for (auto [plain, encoded] : vectors) {
        BOOST_TEST(base64_encode(plain) == encoded);
        auto decoded = base64_decode(encoded);
        BOOST_REQUIRE(decoded);
        BOOST_TEST(*decoded == plain);
    }
}

BOOST_AUTO_TEST_CASE(base64_round_trip_binary) {
    std::mt19937 rng(7);
    for (int n = 0; n < 200; ++n) {
        std::string bytes;
        for (int i = 0; i < n % 40; ++i) bytes += static_cast<char>(rng() & 0xff);
        auto decoded = base64_decode(base64_encode(bytes));
        BOOST_REQUIRE(decoded);
        BOOST_TEST(*decoded == bytes);
    }
}

BOOST_AUTO_TEST_CASE(base64_is_strict) {
    for (auto text : {"Zg", "Zg=", "Zm9", "Zm9v\r\n", "Zm 9v", " Zm9v", "Zg==Zg==", "Z===", "====", "Zm9v=",
                      "Zm-v", "Zm_v", "Zh==", "Zm9=", "Zg=a", "=Zg="})
        BOOST_TEST(!base64_decode(text), text);
}

BOOST_AUTO_TEST_CASE(plain_credentials) {
    auto c = parse_plain("\0alice\0secret"s);
    BOOST_REQUIRE(c);
    BOOST_TEST(c->authzid == "");
    BOOST_TEST(c->authcid == "alice");
    BOOST_TEST(c->password == "secret");
    auto same = parse_plain("Alice\0alice\0pw with spaces"s);
    BOOST_REQUIRE(same);
    BOOST_TEST(same->password == "pw with spaces");
}

BOOST_AUTO_TEST_CASE(plain_malformed) {
    for (auto text : {"alice\0secret"s, "\0\0secret"s, "\0alice\0"s, "\0alice\0se\0cret"s, ""s, "alice"s,
                      "bob\0alice\0secret"s})
        BOOST_TEST(!parse_plain(text));
}
