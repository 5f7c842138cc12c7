// An authenticated student cannot borrow a teacher's address to escape a restriction: sender
// patterns (delivery restrictions, recipient policies, transport rule `from`) judge the envelope
// sender, which MAIL holds to the addresses the login owns, and judge a null sender as the login's
// own address. Also: a rule's 4xx reply tempfails instead of turning into 451 4.3.0.
#define BOOST_TEST_MODULE engine_sender_identity
#include "engine_fixture.hpp"

using namespace mw::test;

namespace {

// Teachers and students in two exact accepted domains. A bare login owns LOGIN@school.example (the
// first authoritative domain: the default login_domain); students log in with their address, or
// bare where login_domain is the students' domain (students_rules).
const std::string organization = R"([organization]
hostname = "mx.school.example"
)";
const std::string rules_toml = organization + R"(
[[accepted_domain]]
domain = "school.example"
type = "authoritative"

[[accepted_domain]]
domain = "students.school.example"
type = "authoritative"
)" + internet_connector + submission_connector + R"(
[[delivery_restriction]]
name = "Students stay inside"
senders = ["@students.school.example"]
recipients = ["outside"]
action = "reject"

[[delivery_restriction]]
name = "Students wait for the office"
senders = ["@students.school.example"]
recipients = ["office@school.example"]
action = "reject"
reply = "450 4.7.1 Try again later"

[[delivery_restriction]]
name = "Parents evening"
senders = ["any"]
recipients = ["evening@school.example"]
action = "reject"
reply = "550 5.7.1 The list is closed"

[[recipient_policy]]
recipients = ["staffroom@school.example"]
reject_from = ["@students.school.example"]

[[recipient_policy]]
recipients = ["teachers@school.example"]
accept_only_from = ["@school.example"]

[[send_connector]]
name = "Internet"
address_spaces = ["*"]

[[transport_rule]]
name = "Student mail is tagged"
if = { from = ["@students.school.example"] }
then = { add_header = { X-Student = "yes" } }
)";

struct Fixture {
    TempDir dir{"engine-sender-identity"};
    std::shared_ptr<const Ruleset> rules = load_ok(dir, rules_toml);
    TempDir students_dir{"engine-sender-identity-students"};
    std::shared_ptr<const Ruleset> students_rules =
        load_ok(students_dir, organization + "login_domain = \"students.school.example\"\n" +
                                  rules_toml.substr(organization.size()));

    Session attempt(const std::string& login, std::string_view from, std::shared_ptr<const Ruleset> with = nullptr) {
        auto f = standalone_facts("192.0.2.1", 587, "198.51.100.7");
        f.tls = tls13();
        f.auth_login = login;
        Session s(with ? with : rules, f);
        s.mail_from(from);
        return s;
    }
    Session user(const std::string& login, std::string_view from, std::shared_ptr<const Ruleset> with = nullptr) {
        Session s = attempt(login, from, std::move(with));
        BOOST_TEST_REQUIRE(s.mail.verdict.code == 250, trace_text(s.mail.trace));
        return s;
    }
    Session internet(std::string_view from) {
        Session s(rules, standalone_facts("192.0.2.1", 25, "198.51.100.7"));
        BOOST_TEST_REQUIRE(s.mail_from(from).code == 250, trace_text(s.mail.trace));
        return s;
    }
};

const std::string outside_denied = "550 5.7.1 <friend@far.example>: Delivery not authorized";

}  // namespace

BOOST_FIXTURE_TEST_SUITE(sender_identity, Fixture)

BOOST_AUTO_TEST_CASE(bare_login_cannot_escape_through_another_accepted_domain) {
    // A student does not own the same name in the teachers' domain, whether it logs in bare (with
    // login_domain the students' domain) or with its address: MAIL refuses it, so the restriction,
    // which lists only the students' domain, is never bypassed.
    const std::string refused = "553 5.7.1 <kid@school.example>: Sender address rejected: not owned by user ";
    BOOST_TEST(reply(attempt("kid", "kid@school.example", students_rules).mail.verdict) == refused + "kid");
    BOOST_TEST(reply(attempt("kid@students.school.example", "kid@school.example").mail.verdict) ==
               refused + "kid@students.school.example");
    auto s = user("kid", "kid@students.school.example", students_rules);
    const auto& r = s.rcpt_to("friend@far.example");
    BOOST_TEST(reply(r.verdict) == outside_denied, trace_text(r.trace));
    BOOST_TEST(r.verdict.rule == "Students stay inside");
}

BOOST_AUTO_TEST_CASE(null_sender_cannot_escape) {
    auto bare = user("kid", "<>", students_rules);
    const auto& b = bare.rcpt_to("friend@far.example");
    BOOST_TEST(reply(b.verdict) == outside_denied, trace_text(b.trace));
    BOOST_TEST(trace_has(b.trace, "identity <kid@students.school.example>"), trace_text(b.trace));
    auto address_login = user("Kid@Students.School.Example", "<>");  // normalized like an address
    const auto& r = address_login.rcpt_to("friend@far.example");
    BOOST_TEST(reply(r.verdict) == outside_denied, trace_text(r.trace));
    BOOST_TEST(trace_has(r.trace, "identity <kid@students.school.example>"), trace_text(r.trace));
}

BOOST_AUTO_TEST_CASE(teachers_and_anonymous_senders_are_unaffected) {
    // An address login has one identity: a teacher's is not a student's.
    BOOST_TEST(user("teacher@school.example", "<>").rcpt_to("friend@far.example").verdict.code == 250);
    BOOST_TEST(user("teacher@school.example", "teacher@school.example").rcpt_to("friend@far.example").verdict.code ==
               250);
    // Unauthenticated: the envelope alone (there is no login to speak of).
    BOOST_TEST(internet("<>").rcpt_to("staffroom@school.example").verdict.code == 250);
}

BOOST_AUTO_TEST_CASE(recipient_policies_see_the_identities) {
    auto s = user("kid@students.school.example", "kid@students.school.example");
    const auto& r = s.rcpt_to("staffroom@school.example");
    BOOST_TEST(reply(r.verdict) == "550 5.7.1 <staffroom@school.example>: Delivery not authorized", trace_text(r.trace));
    BOOST_TEST(r.verdict.rule == "recipient policy for staffroom@school.example");
    BOOST_TEST(user("kid@students.school.example", "<>").rcpt_to("staffroom@school.example").verdict.code == 550);
    BOOST_TEST(user("kid", "<>", students_rules).rcpt_to("staffroom@school.example").verdict.code == 550);
    // A bare login here is staff (kid@school.example): its null sender is not a student's.
    BOOST_TEST(user("kid", "<>").rcpt_to("staffroom@school.example").verdict.code == 250);
    // accept_only_from: a login whose identity is listed is the sender the policy asks for, even
    // with the null sender (it could have written MAIL FROM:<teacher@school.example> anyway).
    BOOST_TEST(user("teacher@school.example", "<>").rcpt_to("teachers@school.example").verdict.code == 250);
    BOOST_TEST(user("someone@far.example", "<>").rcpt_to("teachers@school.example").verdict.code == 550);
}

BOOST_AUTO_TEST_CASE(transport_rule_from_sees_the_identities) {
    auto s = user("kid@students.school.example", "<>");
    BOOST_TEST_REQUIRE(s.rcpt_to("teacher@school.example").verdict.code == 250);
    auto m = s.message();
    BOOST_TEST(has_edit(m, HeaderEdit::Kind::add, "X-Student", "yes"), edits_text(m) << trace_text(m.trace));
    auto teacher = user("teacher@school.example", "<>");
    BOOST_TEST_REQUIRE(teacher.rcpt_to("kid@school.example").verdict.code == 250);
    auto tm = teacher.message();
    BOOST_TEST(!has_edit(tm, HeaderEdit::Kind::add, "X-Student", "yes"), edits_text(tm));
}

BOOST_AUTO_TEST_CASE(lookup_errors_on_an_identity_fail_closed) {
    // A list that cannot be read, matched only through the login's identity, answers 451 4.3.0.
    auto broken = std::make_shared<Ruleset>(*rules);
    AddressPattern p;
    p.kind = AddressPattern::Kind::list;
    p.value = "missing.txt";  // no compiled list: the lookup fails
    broken->delivery_restrictions[0].senders = {p};
    auto s = user("kid", "<>");
    s.rules = broken;
    const auto& r = s.rcpt_to("friend@far.example");
    BOOST_TEST(reply(r.verdict) == "451 4.3.0 Temporary policy failure", trace_text(r.trace));
}

BOOST_AUTO_TEST_CASE(restriction_reply_class_decides_the_action) {
    auto s = user("kid@students.school.example", "kid@students.school.example");
    const auto& later = s.rcpt_to("office@school.example");
    BOOST_TEST(reply(later.verdict) == "450 4.7.1 Try again later", trace_text(later.trace));
    BOOST_TEST(later.verdict.action == Action::tempfail);
    BOOST_TEST(later.verdict.rule == "Students wait for the office");
    const auto& closed = s.rcpt_to("evening@school.example");
    BOOST_TEST(reply(closed.verdict) == "550 5.7.1 The list is closed");
    BOOST_TEST(closed.verdict.action == Action::reject);
}

BOOST_AUTO_TEST_SUITE_END()
