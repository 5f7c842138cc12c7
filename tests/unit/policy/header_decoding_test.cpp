#define BOOST_TEST_MODULE header_decoding
#include <boost/test/unit_test.hpp>

#include "policy/header_decoding.hpp"

using mw::decode_encoded_words;
using mw::decode_extended_parameters;

BOOST_AUTO_TEST_CASE(rfc2047_base64_and_q) {
    BOOST_TEST(decode_encoded_words("=?utf-8?B?SW52b2ljZQ==?=") == "Invoice");
    BOOST_TEST(decode_encoded_words("=?UTF-8?Q?Your_inv=6Fice?=") == "Your invoice");
    BOOST_TEST(decode_encoded_words("Re: =?utf-8?b?SW52b2ljZQ==?= 42") == "Re: Invoice 42");
    // Latin-1 becomes UTF-8: "é" is C3 A9.
    BOOST_TEST(decode_encoded_words("=?iso-8859-1?Q?caf=E9?=") == "caf\xC3\xA9");
}

BOOST_AUTO_TEST_CASE(whitespace_between_adjacent_words_is_dropped) {
    BOOST_TEST(decode_encoded_words("=?utf-8?Q?Inv?= =?utf-8?Q?oice?=") == "Invoice");
    BOOST_TEST(decode_encoded_words("=?utf-8?Q?a?= b") == "a b");
}

BOOST_AUTO_TEST_CASE(malformed_words_stay_as_written) {
    BOOST_TEST(decode_encoded_words("=?utf-8?X?abc?=") == "=?utf-8?X?abc?=");
    BOOST_TEST(decode_encoded_words("=?utf-8?B?not base64?=") == "=?utf-8?B?not base64?=");
    BOOST_TEST(decode_encoded_words("=?utf-8?Q?bad=Z?=") == "=?utf-8?Q?bad=Z?=");
    BOOST_TEST(decode_encoded_words("=?utf-8?Q?cut") == "=?utf-8?Q?cut");
    BOOST_TEST(decode_encoded_words("plain text") == "plain text");
    BOOST_TEST(decode_encoded_words("=?") == "=?");
}

BOOST_AUTO_TEST_CASE(rfc2231_parameters) {
    BOOST_TEST(decode_extended_parameters("application/octet-stream; name*=utf-8''evil%2Eexe") ==
               "application/octet-stream; name=\"evil.exe\"");
    BOOST_TEST(decode_extended_parameters("attachment; filename*0*=utf-8''ev; filename*1=il.exe") ==
               "attachment; filename=\"evil.exe\"");
    BOOST_TEST(decode_extended_parameters("text/plain; charset=us-ascii") == "text/plain; charset=us-ascii");
    BOOST_TEST(decode_extended_parameters("a; name*=%") == "a; name=\"%\"");
}
