// SHA-256 fingerprints: one normal form (64 upper-case hex digits) from every way they are written.
#define BOOST_TEST_MODULE core fingerprint
#include <boost/test/unit_test.hpp>

#include "core/fingerprint.hpp"

using namespace mw;

namespace {
const std::string fp = "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89";
const std::string normal = "ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789";
}  // namespace

BOOST_AUTO_TEST_CASE(normal_form) {
    BOOST_TEST(*normalize_sha256(fp) == normal);
    BOOST_TEST(*normalize_sha256("abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789") == normal);
    BOOST_TEST(!normalize_sha256("ab:cd"));
    BOOST_TEST(!normalize_sha256(fp + "GG"));
    BOOST_TEST(!normalize_sha256(fp + ":00"));
    BOOST_TEST(!normalize_sha256(std::string(64, 'g')));
}

BOOST_AUTO_TEST_CASE(what_a_written_fingerprint_holds) {
    auto f = read_fingerprint("ab:Cd:01");
    BOOST_TEST(f.hex == "ABCD01");
    BOOST_TEST(f.all_hex);
    BOOST_TEST(!f.is_sha256());
    BOOST_TEST(!read_fingerprint("ab cd").all_hex);
}

BOOST_AUTO_TEST_CASE(bytes_as_hex) {
    const unsigned char bytes[] = {0x00, 0x0f, 0xa5, 0xff};
    BOOST_TEST(hex_upper(bytes, sizeof bytes) == "000FA5FF");
    BOOST_TEST(hex_upper(bytes, 0) == "");
}
