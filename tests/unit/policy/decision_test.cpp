// make_reply: the one exit for replies. Any inconsistency becomes 451 4.3.0, never an acceptance.
#define BOOST_TEST_MODULE decision
#include "engine_fixture.hpp"

using namespace mw::policy;

namespace {

using mw::test::reply;

void expect_policy_failure(const Verdict& v, const std::string& rule) {
    BOOST_TEST(v.action == Action::tempfail);
    BOOST_TEST(reply(v) == "451 4.3.0 Temporary policy failure");
    BOOST_TEST(v.rule == rule);  // the rule is kept, so the log still says which rule was broken
}

}  // namespace

BOOST_AUTO_TEST_CASE(consistent_replies_pass_verbatim) {
    auto r = make_reply(Action::reject, 550, "5.7.1", "  Text kept   verbatim ", "rule A");
    BOOST_TEST(r.action == Action::reject);
    BOOST_TEST(r.code == 550);
    BOOST_TEST(r.status == "5.7.1");
    BOOST_TEST(r.text == "  Text kept   verbatim ");
    BOOST_TEST(r.rule == "rule A");
    BOOST_TEST(!r.continues());
    BOOST_TEST(reply(make_reply(Action::tempfail, 454, "4.7.5", "x", "")) == "454 4.7.5 x");
    BOOST_TEST(reply(make_reply(Action::discard, 250, "2.0.0", "Ok", "d")) == "250 2.0.0 Ok");
    BOOST_TEST(make_reply(Action::quarantine, 250, "2.0.0", "Ok", "q").action == Action::quarantine);
    BOOST_TEST(reply(make_reply(Action::reject, 552, "5.3.4", "big", "")) == "552 5.3.4 big");
    BOOST_TEST(reply(make_reply(Action::reject, 550, "5.123.456", "three digits", "")) == "550 5.123.456 three digits");
}

BOOST_AUTO_TEST_CASE(code_class_must_match_the_action) {
    expect_policy_failure(make_reply(Action::accept, 550, "5.7.1", "x", "r1"), "r1");
    expect_policy_failure(make_reply(Action::accept, 451, "4.7.1", "x", "r2"), "r2");
    expect_policy_failure(make_reply(Action::reject, 250, "2.0.0", "x", "r3"), "r3");
    expect_policy_failure(make_reply(Action::reject, 451, "4.7.1", "x", "r4"), "r4");
    expect_policy_failure(make_reply(Action::tempfail, 550, "5.7.1", "x", "r5"), "r5");
    expect_policy_failure(make_reply(Action::tempfail, 250, "2.0.0", "x", "r6"), "r6");
    expect_policy_failure(make_reply(Action::discard, 550, "5.7.1", "x", "r7"), "r7");
    expect_policy_failure(make_reply(Action::quarantine, 451, "4.7.1", "x", "r8"), "r8");
    expect_policy_failure(make_reply(Action::reject, 650, "6.0.0", "x", "r9"), "r9");
    expect_policy_failure(make_reply(Action::reject, 55, "5.7.1", "x", "r10"), "r10");
}

BOOST_AUTO_TEST_CASE(status_class_must_equal_code_class) {
    expect_policy_failure(make_reply(Action::reject, 550, "4.7.1", "x", "a"), "a");
    expect_policy_failure(make_reply(Action::tempfail, 451, "5.7.1", "x", "b"), "b");
    expect_policy_failure(make_reply(Action::accept, 250, "5.0.0", "x", "c"), "c");
}

BOOST_AUTO_TEST_CASE(status_must_be_digits_in_three_parts) {
    for (const char* bad : {"", "5", "5.7", "5.7.", "5..1", "5.7.1.2", "5.x.1", "5.7.y", "x.7.1", "5.7.1 ", " 5.7.1",
                            "5.1234.1", "5.1.1234", "5,7,1"}) {
        BOOST_TEST_CONTEXT("status '" << bad << "'") { expect_policy_failure(make_reply(Action::reject, 550, bad, "x", "s"), "s"); }
    }
}

BOOST_AUTO_TEST_CASE(helpers) {
    BOOST_TEST(reply(accept_verdict()) == "250 2.0.0 Ok");
    BOOST_TEST(accept_verdict().rule.empty());
    BOOST_TEST(reply(accept_verdict(250, "2.1.5", "Ok")) == "250 2.1.5 Ok");
    // A broken accept is still not an accept.
    BOOST_TEST(accept_verdict(550, "5.7.1", "no").action == Action::tempfail);
    expect_policy_failure(internal_error("lookup"), "lookup");
    ReplyTemplate t{550, "5.7.1", "Students may not send mail outside the school"};
    auto v = from_template(Action::reject, t, "Students");
    BOOST_TEST(reply(v) == "550 5.7.1 Students may not send mail outside the school");
    BOOST_TEST(v.rule == "Students");
    expect_policy_failure(from_template(Action::tempfail, t, "mismatch"), "mismatch");
}

BOOST_AUTO_TEST_CASE(names) {
    BOOST_TEST(std::string(to_string(Action::accept)) == "accept");
    BOOST_TEST(std::string(to_string(Action::reject)) == "reject");
    BOOST_TEST(std::string(to_string(Action::tempfail)) == "tempfail");
    BOOST_TEST(std::string(to_string(Action::discard)) == "discard");
    BOOST_TEST(std::string(to_string(Action::quarantine)) == "quarantine");
    BOOST_TEST(std::string(to_string(Mta::standalone)) == "standalone");
    BOOST_TEST(std::string(to_string(Mta::postfix)) == "postfix");
    BOOST_TEST(std::string(to_string(Mta::sendmail)) == "sendmail");
}
