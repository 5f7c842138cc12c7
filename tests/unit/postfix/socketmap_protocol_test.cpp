// The socketmap wire protocol (postfix/netstring, postfix/socketmap_protocol): netstring framing as
// Postfix sends it, in pieces or batched, the errors that end a connection, and request answers.
#define BOOST_TEST_MODULE socketmap_protocol
#include <boost/test/unit_test.hpp>

#include <optional>
#include <string>
#include <vector>

#include "postfix/netstring.hpp"
#include "postfix/socketmap_protocol.hpp"
#include "test_support.hpp"

using mw::postfix::NetstringDecoder;
using mw::postfix::encode_netstring;

namespace {

// Every payload the decoder yields after one feed.
std::vector<std::string> drain(NetstringDecoder& d) {
    std::vector<std::string> out;
    while (auto p = d.pop()) out.push_back(*p);
    return out;
}

using Payloads = std::vector<std::string>;

}  // namespace

BOOST_AUTO_TEST_SUITE(netstring)

BOOST_AUTO_TEST_CASE(encodes_length_colon_payload_comma) {
    BOOST_TEST(encode_netstring("") == "0:,");
    BOOST_TEST(encode_netstring("OK smtp:") == "8:OK smtp:,");
    BOOST_TEST(encode_netstring("NOTFOUND ") == "9:NOTFOUND ,");
    BOOST_TEST(encode_netstring(std::string(12, ',')) == "12:" + std::string(12, ',') + ",");
}

BOOST_AUTO_TEST_CASE(one_netstring_in_one_feed) {
    NetstringDecoder d;
    d.feed("24:transport bob@smart.test,");
    BOOST_TEST(drain(d) == Payloads{"transport bob@smart.test"});
    BOOST_TEST(!d.failed());
    BOOST_TEST(d.buffered() == 0u);
}

BOOST_AUTO_TEST_CASE(split_feeds_byte_by_byte) {
    const std::string wire = "24:transport bob@smart.test,";
    NetstringDecoder d;
    for (std::size_t i = 0; i + 1 < wire.size(); ++i) {
        d.feed(wire.substr(i, 1));
        BOOST_TEST(!d.pop().has_value(), "complete after " << i + 1 << " bytes");
        BOOST_TEST(!d.failed());
    }
    d.feed(",");
    BOOST_TEST(drain(d) == Payloads{"transport bob@smart.test"});
}

BOOST_AUTO_TEST_CASE(split_inside_the_length_and_before_the_comma) {
    NetstringDecoder d;
    d.feed("1");
    BOOST_TEST(drain(d).empty());
    d.feed("2:tlspolicy a");
    BOOST_TEST(drain(d).empty());
    d.feed("b");
    BOOST_TEST(drain(d).empty());  // payload complete, terminator not yet
    BOOST_TEST(d.buffered() == 15u);
    d.feed(",3:x");
    BOOST_TEST(drain(d) == Payloads{"tlspolicy ab"});
    d.feed("yz,");
    BOOST_TEST(drain(d) == Payloads{"xyz"});
}

BOOST_AUTO_TEST_CASE(several_in_one_feed_with_separators_in_payloads) {
    NetstringDecoder d;
    d.feed("3:abc,0:,5:1:2,,,3:de");
    BOOST_TEST(drain(d) == (Payloads{"abc", "", "1:2,,"}));
    BOOST_TEST(d.buffered() == 4u);  // "3:de" waits
    d.feed("f,");
    BOOST_TEST(drain(d) == Payloads{"def"});
}

BOOST_AUTO_TEST_CASE(payload_at_the_cap_is_accepted) {
    NetstringDecoder d;
    const std::string payload(mw::postfix::socketmap_max_request, 'x');
    d.feed(encode_netstring(payload));
    BOOST_TEST(drain(d) == Payloads{payload});
}

BOOST_AUTO_TEST_CASE(oversize_netstring_is_skipped_and_the_stream_goes_on) {
    NetstringDecoder d;
    d.feed("10001:");
    BOOST_TEST(!d.pop().has_value());
    BOOST_TEST(!d.failed());
    // The payload arrives in pieces and is dropped as it comes, never buffered whole.
    d.feed(std::string(6000, 'x'));
    BOOST_TEST(!d.pop().has_value());
    BOOST_TEST(d.buffered() == 0u);
    d.feed(std::string(4001, 'y') + ",");
    auto skipped = d.pop();
    BOOST_REQUIRE(skipped.has_value());
    BOOST_TEST(skipped->empty());
    BOOST_TEST(d.last_was_oversize());
    d.feed(encode_netstring("transport *"));
    auto next = d.pop();
    BOOST_REQUIRE(next.has_value());
    BOOST_TEST(*next == "transport *");
    BOOST_TEST(!d.last_was_oversize());

    NetstringDecoder small(5);
    small.feed("6:abcdef,2:ok,");
    BOOST_TEST(small.pop().value_or("?") == "");
    BOOST_TEST(small.last_was_oversize());
    BOOST_TEST(small.pop().value_or("?") == "ok");

    NetstringDecoder no_comma(5);
    no_comma.feed("6:abcdefX");
    BOOST_TEST(!no_comma.pop().has_value());
    BOOST_TEST(no_comma.error() == "malformed netstring (no ',' after the payload)");
}

BOOST_AUTO_TEST_CASE(absurd_length_fails_before_the_payload_arrives) {
    NetstringDecoder d;
    d.feed("1048577:");
    BOOST_TEST(!d.pop().has_value());
    BOOST_TEST(d.failed());
    BOOST_TEST(d.error() == "netstring length over 1048576 bytes");

    NetstringDecoder digits;  // no colon ever comes
    digits.feed(std::string(40, '9'));
    BOOST_TEST(!digits.pop().has_value());
    BOOST_TEST(digits.error() == "netstring length over 1048576 bytes");
}

BOOST_AUTO_TEST_CASE(bad_prefixes_fail) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"x:abc,", "malformed netstring length"},
        {"-1:a,", "malformed netstring length"},
        {" 3:abc,", "malformed netstring length"},
        {"3 :abc,", "malformed netstring length"},
        {":abc,", "malformed netstring length (empty)"},
        {"01:a,", "malformed netstring length (leading zero)"},
    };
    for (const auto& c : cases) {
        NetstringDecoder d;
        d.feed(c.first);
        BOOST_TEST(!d.pop().has_value(), c.first);
        BOOST_TEST(d.error() == c.second, c.first);
    }
}

BOOST_AUTO_TEST_CASE(missing_comma_fails_and_the_stream_stays_broken) {
    NetstringDecoder d;
    d.feed("3:abc;3:def,");
    BOOST_TEST(!d.pop().has_value());
    BOOST_TEST(d.error() == "malformed netstring (no ',' after the payload)");
    BOOST_TEST(d.buffered() == 0u);
    d.feed("3:ghi,");  // no resynchronization: the caller answers PERM and closes
    BOOST_TEST(!d.pop().has_value());
    BOOST_TEST(d.failed());
    BOOST_TEST(d.buffered() == 0u);
}

BOOST_AUTO_TEST_CASE(payloads_before_an_error_are_still_delivered) {
    NetstringDecoder d;
    d.feed("3:abc,x");
    auto first = d.pop();
    BOOST_TEST_REQUIRE(first.has_value());
    BOOST_TEST(*first == "abc");
    BOOST_TEST(!d.pop().has_value());
    BOOST_TEST(d.failed());
}

BOOST_AUTO_TEST_SUITE_END()

namespace {

const char* const rules_toml = R"([organization]
hostname = "mx.example.com"

[[accepted_domain]]
domain = "example.com"

[[send_connector]]
name = "Internet"
address_spaces = ["*"]

[[send_connector]]
name = "Smart host"
address_spaces = ["smart.test"]
smart_hosts = ["[192.0.2.1]:25"]
tls = "certificate-validation"
)";

struct Rules {
    mw::test::TempDir dir{"socketmap"};
    std::shared_ptr<const mw::policy::Ruleset> rules = mw::test::load_ok(dir, rules_toml);
    mw::postfix::SocketmapExchange ask(std::string_view request) {
        return mw::postfix::answer_socketmap_request(*rules, request);
    }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(requests, Rules)

BOOST_AUTO_TEST_CASE(transport_and_tlspolicy_answers) {
    auto t = ask("transport Bob@Smart.Test");
    BOOST_TEST(t.reply == "OK smtp:[192.0.2.1]:25");
    BOOST_TEST(t.map == "transport");
    BOOST_TEST(t.key == "Bob@Smart.Test");  // as sent
    BOOST_TEST(ask("transport a@far.org").reply == "OK smtp:");
    BOOST_TEST(ask("transport *").reply == "NOTFOUND ");
    BOOST_TEST(ask("transport bob@example.com").reply == "NOTFOUND ");
    BOOST_TEST(ask("transport \"a b\"@smart.test").reply == "OK smtp:[192.0.2.1]:25");  // key holds a space
    BOOST_TEST(ask("transport ").reply == "NOTFOUND ");  // empty key

    auto p = ask("tlspolicy [192.0.2.1]:25");
    BOOST_TEST(p.reply == "OK verify");
    BOOST_TEST(p.map == "tlspolicy");
    BOOST_TEST(p.key == "[192.0.2.1]:25");
    BOOST_TEST(ask("tlspolicy far.org").reply == "OK may");
    BOOST_TEST(ask("tlspolicy [192.0.2.9]:25").reply == "NOTFOUND ");
}

BOOST_AUTO_TEST_CASE(malformed_requests_get_perm_and_keep_nothing_else) {
    auto none = ask("transport");
    BOOST_TEST(none.reply == "PERM malformed request");
    BOOST_TEST(none.map == "");
    BOOST_TEST(ask("").reply == "PERM malformed request");
    BOOST_TEST(ask(" a@far.org").reply == "PERM malformed request");
    BOOST_TEST(ask("virtual a@far.org").reply == "PERM unknown map virtual");
    BOOST_TEST(ask("Transport a@far.org").reply == "PERM unknown map Transport");  // names are exact
    BOOST_TEST(ask(std::string("bad\x01na\xffme key", 13)).reply == "PERM unknown map bad?na?me");
    BOOST_TEST(ask(std::string(100, 'n') + " key").reply == "PERM unknown map " + std::string(64, 'n'));
}

BOOST_AUTO_TEST_CASE(replies_from_answers) {
    using mw::postfix::MapAnswer;
    BOOST_TEST(mw::postfix::socketmap_reply({MapAnswer::Status::ok, "smtp:"}) == "OK smtp:");
    BOOST_TEST(mw::postfix::socketmap_reply({MapAnswer::Status::notfound, ""}) == "NOTFOUND ");
    BOOST_TEST(mw::postfix::socketmap_reply({MapAnswer::Status::temp, "internal error"}) == "TEMP internal error");
    BOOST_TEST(mw::postfix::socketmap_reply({MapAnswer::Status::perm, "unknown map x"}) == "PERM unknown map x");
}

BOOST_AUTO_TEST_CASE(log_description_escapes_and_shortens_the_key) {
    BOOST_TEST(ask("transport Bob@Smart.Test").describe() ==
               "NOQUEUE: lookup: SOCKETMAP from postfix: OK smtp:[192.0.2.1]:25; map=transport key=Bob@Smart.Test");
    BOOST_TEST(ask("transport a\r\nforged@far.org").describe() ==
               "NOQUEUE: lookup: SOCKETMAP from postfix: NOTFOUND ; map=transport key=a\\x0d\\x0aforged@far.org");
    BOOST_TEST(ask("nospace").describe() ==
               "NOQUEUE: lookup: SOCKETMAP from postfix: PERM malformed request; map=(malformed) key=nospace");
    auto longest = ask("tlspolicy " + std::string(5000, 'a')).describe();
    BOOST_TEST(longest == "NOQUEUE: lookup: SOCKETMAP from postfix: NOTFOUND ; map=tlspolicy key=" + std::string(256, 'a') + "...");
}

BOOST_AUTO_TEST_CASE(a_whole_conversation_over_the_decoder) {
    // What the daemon does per connection: decode, answer, encode; a framing error ends it.
    NetstringDecoder d;
    std::string out;
    d.feed(encode_netstring("transport a@smart.test") + encode_netstring("tlspolicy [192.0.2.1]:25") + "9999999:");
    while (auto request = d.pop()) out += encode_netstring(ask(*request).reply);
    BOOST_TEST(out == "22:OK smtp:[192.0.2.1]:25,9:OK verify,");
    BOOST_TEST(d.failed());
}

BOOST_AUTO_TEST_SUITE_END()
