// The Postfix policy delegation wire format (SMTPD_POLICY_README): incremental reading, limits
// that close the connection, and the reply.
#define BOOST_TEST_MODULE policy_protocol
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "postfix/policy_protocol.hpp"

using namespace mw;
using namespace mw::postfix;

namespace {

// A request as Postfix 3.7 writes it (abridged), LF line ends, closed by an empty line.
const std::string postfix_request =
    "request=smtpd_access_policy\n"
    "protocol_state=RCPT\n"
    "protocol_name=ESMTP\n"
    "client_address=198.51.100.7\n"
    "client_name=mx.far.example\n"
    "helo_name=mx.far.example\n"
    "sender=a@far.example\n"
    "recipient=bob@example.com\n"
    "queue_id=\n"
    "ccert_subject=\n"
    "policy_context=internet\n"
    "server_address=192.0.2.1\n"
    "server_port=25\n"
    "\n";

std::vector<Attributes> pop_all(PolicyRequestReader& r) {
    std::vector<Attributes> out;
    while (auto a = r.pop()) out.push_back(std::move(*a));
    return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(one_request_in_one_feed) {
    PolicyRequestReader r;
    BOOST_TEST(r.feed(postfix_request));
    auto requests = pop_all(r);
    BOOST_TEST_REQUIRE(requests.size() == 1u);
    const Attributes& a = requests[0];
    BOOST_TEST(a.size() == 13u);
    BOOST_TEST(a.get("request") == "smtpd_access_policy");
    BOOST_TEST(a.get("recipient") == "bob@example.com");
    BOOST_TEST(a.items().front().first == "request");  // arrival order kept
    BOOST_TEST(a.items().back().first == "server_port");
    // Present but empty vs absent.
    BOOST_TEST_REQUIRE(a.find("queue_id") != nullptr);
    BOOST_TEST(a.find("queue_id")->empty());
    BOOST_TEST(a.find("sasl_username") == nullptr);
    BOOST_TEST(a.get("sasl_username") == "");
    BOOST_TEST(r.idle());
    BOOST_TEST(!r.pop().has_value());
}

BOOST_AUTO_TEST_CASE(byte_by_byte_feeds) {
    PolicyRequestReader r;
    for (std::size_t i = 0; i < postfix_request.size(); ++i) {
        BOOST_TEST_REQUIRE(!r.pop().has_value(), "complete before byte " << i);
        BOOST_TEST_REQUIRE(r.feed(postfix_request.substr(i, 1)));
        if (i + 1 < postfix_request.size()) BOOST_TEST(!r.idle());
    }
    auto requests = pop_all(r);
    BOOST_TEST_REQUIRE(requests.size() == 1u);
    BOOST_TEST(requests[0].get("client_address") == "198.51.100.7");
    BOOST_TEST(requests[0].size() == 13u);
}

BOOST_AUTO_TEST_CASE(split_in_the_middle_of_a_name_and_a_value) {
    PolicyRequestReader r;
    BOOST_TEST(r.feed("request=smtpd_acc"));
    BOOST_TEST(r.feed("ess_policy\nrecip"));
    BOOST_TEST(r.feed("ient=bob@exa"));
    BOOST_TEST(!r.pop().has_value());
    BOOST_TEST(r.feed("mple.com\n"));
    BOOST_TEST(!r.pop().has_value());  // not complete before the empty line
    BOOST_TEST(r.feed("\n"));
    auto a = r.pop();
    BOOST_TEST_REQUIRE(a.has_value());
    BOOST_TEST(a->get("request") == "smtpd_access_policy");
    BOOST_TEST(a->get("recipient") == "bob@example.com");
}

BOOST_AUTO_TEST_CASE(several_requests_in_one_feed_come_out_in_order) {
    PolicyRequestReader r;
    BOOST_TEST(r.feed("recipient=one@example.com\n\nrecipient=two@example.com\n\nrecipient=thr"));
    auto requests = pop_all(r);
    BOOST_TEST_REQUIRE(requests.size() == 2u);
    BOOST_TEST(requests[0].get("recipient") == "one@example.com");
    BOOST_TEST(requests[1].get("recipient") == "two@example.com");
    BOOST_TEST(!r.idle());
    BOOST_TEST(r.feed("ee@example.com\n\n"));
    auto third = r.pop();
    BOOST_TEST_REQUIRE(third.has_value());
    BOOST_TEST(third->get("recipient") == "three@example.com");
    BOOST_TEST(r.idle());
}

BOOST_AUTO_TEST_CASE(values_keep_equals_signs_and_spaces) {
    PolicyRequestReader r;
    BOOST_TEST(r.feed("ccert_subject=CN=a b=c\nsender=\n\n"));
    auto a = r.pop();
    BOOST_TEST_REQUIRE(a.has_value());
    BOOST_TEST(a->get("ccert_subject") == "CN=a b=c");  // split at the first '='
    BOOST_TEST_REQUIRE(a->find("sender") != nullptr);
    BOOST_TEST(a->get("sender") == "");
}

BOOST_AUTO_TEST_CASE(crlf_line_ends_are_tolerated) {
    PolicyRequestReader r;
    BOOST_TEST(r.feed("request=smtpd_access_policy\r\nrecipient=bob@example.com\r\n\r\n"));
    auto a = r.pop();
    BOOST_TEST_REQUIRE(a.has_value());
    BOOST_TEST(a->get("request") == "smtpd_access_policy");
    BOOST_TEST(a->get("recipient") == "bob@example.com");
}

BOOST_AUTO_TEST_CASE(an_empty_request_is_still_a_request) {
    // One reply per empty line keeps replies and requests paired.
    PolicyRequestReader r;
    BOOST_TEST(r.feed("\n"));
    auto a = r.pop();
    BOOST_TEST_REQUIRE(a.has_value());
    BOOST_TEST(a->empty());
}

BOOST_AUTO_TEST_CASE(malformed_lines_break_the_stream) {
    struct Case {
        std::string input;
        std::string error;
    };
    const std::vector<Case> cases = {
        {"request=smtpd_access_policy\nno equals sign\n\n", "policy request line without '=': 'no equals sign'"},
        {"=value\n\n", "policy request line with an empty name: '=value'"},
        {"recipient=a@example.com\nrecipient=b@example.com\n\n", "policy request repeats attribute 'recipient'"},
        {std::string("helo_name=a\0b\n\n", 15), "NUL byte in policy request line 'helo_name=a\\x00b'"},
    };
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT(c.error) {
            PolicyRequestReader r;
            BOOST_TEST(!r.feed(c.input));
            BOOST_TEST(r.failed());
            BOOST_TEST(r.error() == c.error);
            BOOST_TEST(!r.pop().has_value());
            // Nothing after the error is read.
            BOOST_TEST(!r.feed("request=smtpd_access_policy\n\n"));
            BOOST_TEST(!r.pop().has_value());
        }
    }
}

BOOST_AUTO_TEST_CASE(requests_before_an_error_can_still_be_answered) {
    PolicyRequestReader r;
    BOOST_TEST(!r.feed("recipient=a@example.com\n\ngarbage\n"));
    BOOST_TEST(r.failed());
    auto a = r.pop();
    BOOST_TEST_REQUIRE(a.has_value());
    BOOST_TEST(a->get("recipient") == "a@example.com");
    BOOST_TEST(!r.pop().has_value());
}

BOOST_AUTO_TEST_CASE(line_limit_applies_before_the_line_ends) {
    PolicyLimits limits;
    limits.max_line_bytes = 16;
    PolicyRequestReader r(limits);
    BOOST_TEST(r.feed("helo_name=abcdef"));  // 16 bytes: at the limit
    BOOST_TEST(r.feed("\n"));
    BOOST_TEST(!r.feed("helo_name=abcdefg"));  // 17 bytes without an LF yet: refused now
    BOOST_TEST(r.error() == "policy request line longer than 16 bytes");

    // The default: 4 KiB.
    PolicyRequestReader d;
    BOOST_TEST(d.feed("ccert_subject=" + std::string(4096 - 14, 'x') + "\n\n"));
    BOOST_TEST(d.pop().has_value());
    BOOST_TEST(!d.feed("ccert_subject=" + std::string(4096 - 13, 'x')));
    BOOST_TEST(d.error() == "policy request line longer than 4096 bytes");
}

BOOST_AUTO_TEST_CASE(request_size_limit) {
    // 64 KiB in lines of 1 KiB: the 64th line crosses it (line ends count).
    PolicyRequestReader r;
    std::string line = std::string(1019, 'v') + "\n";  // "aNN=" + 1019 + LF = 1024 bytes
    int accepted = 0;
    for (int i = 10; i < 80; ++i, ++accepted)
        if (!r.feed("a" + std::to_string(i) + "=" + line)) break;
    BOOST_TEST(accepted == 64);
    BOOST_TEST(r.error() == "policy request larger than 65536 bytes");

    // Exactly at the limit, with the closing empty line: accepted.
    PolicyLimits limits;
    limits.max_request_bytes = 10;
    PolicyRequestReader exact(limits);
    BOOST_TEST(exact.feed("a=123456\n\n"));  // 9 + 1 bytes
    BOOST_TEST(exact.pop().has_value());
    BOOST_TEST(!exact.feed("a=1234567\n\n"));
    BOOST_TEST(exact.error() == "policy request larger than 10 bytes");
}

BOOST_AUTO_TEST_CASE(attribute_count_limit) {
    std::string hundred;
    for (int i = 0; i < 100; ++i) hundred += "a" + std::to_string(i) + "=x\n";
    PolicyRequestReader r;
    BOOST_TEST(r.feed(hundred + "\n"));
    auto a = r.pop();
    BOOST_TEST_REQUIRE(a.has_value());
    BOOST_TEST(a->size() == 100u);
    BOOST_TEST(!r.feed(hundred + "one_more=x\n"));
    BOOST_TEST(r.error() == "policy request with more than 100 attributes");
}

BOOST_AUTO_TEST_CASE(backlog_of_unanswered_requests_is_bounded) {
    PolicyRequestReader r;
    BOOST_TEST(r.feed(std::string(32, '\n')));
    BOOST_TEST(!r.feed("\n"));
    BOOST_TEST(r.error() == "more than 32 policy requests without a reply");
    // Popping as they come keeps a long stream going.
    PolicyRequestReader popped;
    for (int i = 0; i < 100; ++i) {
        BOOST_TEST_REQUIRE(popped.feed("recipient=a@example.com\n\n"));
        BOOST_TEST_REQUIRE(popped.pop().has_value());
    }
}

BOOST_AUTO_TEST_CASE(reply_format) {
    BOOST_TEST(format_policy_reply("OK") == "action=OK\n\n");
    BOOST_TEST(format_policy_reply("DUNNO") == "action=DUNNO\n\n");
    BOOST_TEST(format_policy_reply("451 4.3.0 Temporary policy failure") ==
               "action=451 4.3.0 Temporary policy failure\n\n");
    // A line break can neither end the reply early nor add an attribute.
    BOOST_TEST(format_policy_reply("DUNNO\n\naction=OK") == "action=DUNNO  action=OK\n\n");
    BOOST_TEST(format_policy_reply(std::string("OK\r\0x", 5)) == "action=OK  x\n\n");
}
