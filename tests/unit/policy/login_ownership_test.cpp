// Which sender addresses an authenticated login owns, and which address its sender restrictions
// judge: a bare login is LOGIN@[organization] login_domain (default: the first authoritative,
// non-wildcard accepted domain), a login with '@' is exactly that address; either also owns its
// [[send_as]] entries. Restrictions judge the envelope sender; a null sender from an authenticated
// session is judged as the login's own address.
#define BOOST_TEST_MODULE engine_login_ownership
#include "engine_fixture.hpp"

using namespace mw::test;

namespace {

std::string owned_553(const std::string& sender, const std::string& login) {
    return "553 5.7.1 <" + sender + ">: Sender address rejected: not owned by user " + login;
}

// The rules shipped in the repository, as `./scripts/run` serves them: the one login it creates is
// the bare `alice`, on the Client connector (127.0.0.1:2587, TLS, users).
struct Shipped {
    TempDir state{"engine-login-shipped"};
    std::shared_ptr<const Ruleset> rules = [this] {
        LoadResult r = load_rules({std::filesystem::path(MW_SOURCE_DIR) / "rules", state.path()});
        std::string diagnostics;
        for (const auto& d : r.diagnostics) diagnostics += d.str() + "\n";
        BOOST_TEST_REQUIRE(r.ok(), diagnostics);
        return r.ruleset;
    }();

    Session alice() {
        auto f = standalone_facts("127.0.0.1", 2587, "127.0.0.1");
        f.tls = tls13();
        f.auth_login = "alice";
        return Session(rules, f);
    }
};

// A school: staff at school.example (listed first), students in their own domain, a branch whose
// mailboxes live elsewhere, and a wildcard for departments.
std::string school_rules(const std::string& organization_extra = "") {
    return std::string("[organization]\nhostname = \"mx.school.example\"\n") + organization_extra + R"(
[[accepted_domain]]
domain = "branch.school.example"
type = "internal-relay"

[[accepted_domain]]
domain = "*.dept.school.example"
type = "authoritative"

[[accepted_domain]]
domain = "school.example"
type = "authoritative"

[[accepted_domain]]
domain = "students.school.example"
type = "authoritative"

[[group]]
name = "students"
members = ["@students.school.example"]
)" + internet_connector + submission_connector + R"(
[[delivery_restriction]]
name = "Students stay inside"
senders = ["group:students"]
recipients = ["outside"]
action = "reject"
reply = "550 5.7.1 Students may not send mail outside the school"

[[send_as]]
login = "head"
addresses = ["office@school.example", "@dept.school.example"]

[[send_as]]
login = "kid@students.school.example"
addresses = ["club@students.school.example"]

[[send_connector]]
name = "Internet"
address_spaces = ["*"]
)";
}

struct School {
    TempDir dir{"engine-login-school"};

    Session user(const std::shared_ptr<const Ruleset>& rules, const std::string& login) {
        auto f = standalone_facts("192.0.2.1", 587, "198.51.100.7");
        f.tls = tls13();
        f.auth_login = login;
        return Session(rules, f);
    }
    // The MAIL reply of a fresh session of `login` with `sender`.
    std::string mail(const std::shared_ptr<const Ruleset>& rules, const std::string& login, std::string_view sender) {
        auto s = user(rules, login);
        return reply(s.mail_from(sender));
    }
};

const std::string ok = "250 2.1.0 Ok";
const std::string students_stay = "550 5.7.1 Students may not send mail outside the school";

}  // namespace

BOOST_FIXTURE_TEST_SUITE(shipped_rules, Shipped)

// The defect: alice owned alice@students.example.com, so she was in group:students and could not
// write to anyone outside.
BOOST_AUTO_TEST_CASE(bare_alice_sends_from_her_address_to_an_outside_address) {
    auto s = alice();
    const auto& m = s.mail_from("alice@example.com");
    BOOST_TEST_REQUIRE(reply(m) == ok, trace_text(s.mail.trace));
    const auto& r = s.rcpt_to("friend@far.example");
    BOOST_TEST(reply(r.verdict) == "250 2.1.5 Ok", trace_text(r.trace));
    BOOST_TEST(!trace_has(r.trace, "Students may not send"), trace_text(r.trace));
}

BOOST_AUTO_TEST_CASE(bare_alice_owns_neither_the_students_nor_the_branch_address) {
    BOOST_TEST(rules->organization.login_domain == "example.com");  // the first authoritative domain
    for (std::string sender : {"alice@students.example.com", "alice@branch.example.com"}) {
        auto s = alice();
        BOOST_TEST(reply(s.mail_from(sender)) == owned_553(sender, "alice"), trace_text(s.mail.trace));
        // explain's trace names the one address she does own.
        BOOST_TEST(trace_has(s.mail.trace, "login alice owns <alice@example.com>"), trace_text(s.mail.trace));
    }
    auto send_as = alice();
    BOOST_TEST(reply(send_as.mail_from("sales@example.com")) == ok, trace_text(send_as.mail.trace));
}

BOOST_AUTO_TEST_CASE(null_sender_from_alice_is_judged_as_alice_and_may_leave) {
    auto s = alice();
    BOOST_TEST_REQUIRE(reply(s.mail_from("<>")) == ok, trace_text(s.mail.trace));
    BOOST_TEST(trace_has(s.mail.trace, "<alice@example.com>"), trace_text(s.mail.trace));
    const auto& r = s.rcpt_to("friend@far.example");
    BOOST_TEST(reply(r.verdict) == "250 2.1.5 Ok", trace_text(r.trace));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(school, School)

BOOST_AUTO_TEST_CASE(default_login_domain_is_the_first_authoritative_exact_domain) {
    // branch (a relay) and *.dept (a wildcard, no single address) come first but cannot be it.
    auto rules = load_ok(dir, school_rules());
    BOOST_TEST(rules->organization.login_domain == "school.example");
    BOOST_TEST(mail(rules, "kid", "kid@school.example") == ok);
    BOOST_TEST(mail(rules, "kid", "Kid@School.Example.") == ok);  // normalized like any address
    for (std::string sender : {"kid@students.school.example", "kid@branch.school.example", "kid@x.dept.school.example"})
        BOOST_TEST(mail(rules, "kid", sender) == owned_553(sender, "kid"));
}

BOOST_AUTO_TEST_CASE(bare_login_is_not_a_member_of_a_group_named_by_another_domain) {
    auto rules = load_ok(dir, school_rules());
    auto s = user(rules, "kid");
    BOOST_TEST_REQUIRE(reply(s.mail_from("kid@school.example")) == ok, trace_text(s.mail.trace));
    const auto& r = s.rcpt_to("friend@far.example");
    BOOST_TEST(r.verdict.code == 250, trace_text(r.trace));
    BOOST_TEST(!trace_has(r.trace, "kid@students.school.example"), trace_text(r.trace));
}

BOOST_AUTO_TEST_CASE(explicit_login_domain_decides_what_a_bare_login_owns) {
    auto rules = load_ok(dir, school_rules("login_domain = \"Students.School.Example.\"\n"));
    BOOST_TEST(rules->organization.login_domain == "students.school.example");
    BOOST_TEST(mail(rules, "kid", "kid@students.school.example") == ok);
    BOOST_TEST(mail(rules, "kid", "kid@school.example") == owned_553("kid@school.example", "kid"));
    // Now a bare login is a student, by the envelope and by the null sender alike.
    auto s = user(rules, "kid");
    BOOST_TEST_REQUIRE(reply(s.mail_from("kid@students.school.example")) == ok);
    BOOST_TEST(reply(s.rcpt_to("friend@far.example").verdict) == students_stay);
    auto null = user(rules, "kid");
    BOOST_TEST_REQUIRE(reply(null.mail_from("<>")) == ok);
    BOOST_TEST(reply(null.rcpt_to("friend@far.example").verdict) == students_stay);
}

BOOST_AUTO_TEST_CASE(login_domain_may_be_covered_by_a_wildcard_accepted_domain) {
    auto rules = load_ok(dir, school_rules("login_domain = \"maths.dept.school.example\"\n"));
    BOOST_TEST(mail(rules, "kid", "kid@maths.dept.school.example") == ok);
    BOOST_TEST(mail(rules, "kid", "kid@school.example") == owned_553("kid@school.example", "kid"));
}

BOOST_AUTO_TEST_CASE(full_address_login_owns_exactly_that_address_and_its_send_as) {
    auto rules = load_ok(dir, school_rules());
    const std::string login = "Kid@Students.School.Example";
    BOOST_TEST(mail(rules, login, "kid@students.school.example") == ok);
    BOOST_TEST(mail(rules, login, "club@students.school.example") == ok);  // its send_as entry
    for (std::string sender : {"kid@school.example", "other@students.school.example"})
        BOOST_TEST(mail(rules, login, sender) == owned_553(sender, login));
    // The bare `kid` is another login: the address login's send_as is not its.
    BOOST_TEST(mail(rules, "kid", "club@students.school.example") == owned_553("club@students.school.example", "kid"));
}

BOOST_AUTO_TEST_CASE(send_as_entries_are_owned_beside_the_login_address) {
    auto rules = load_ok(dir, school_rules());
    BOOST_TEST(mail(rules, "head", "head@school.example") == ok);
    BOOST_TEST(mail(rules, "head", "office@school.example") == ok);
    BOOST_TEST(mail(rules, "head", "head@dept.school.example") == ok);
    BOOST_TEST(mail(rules, "head", "head@students.school.example") ==
               owned_553("head@students.school.example", "head"));
}

BOOST_AUTO_TEST_CASE(null_sender_is_judged_as_the_login_address) {
    auto rules = load_ok(dir, school_rules());
    // A student logging in with an address cannot leave by sending MAIL FROM:<>.
    auto student = user(rules, "kid@students.school.example");
    BOOST_TEST_REQUIRE(reply(student.mail_from("<>")) == ok, trace_text(student.mail.trace));
    const auto& r = student.rcpt_to("friend@far.example");
    BOOST_TEST(reply(r.verdict) == students_stay, trace_text(r.trace));
    BOOST_TEST(trace_has(r.trace, "identity <kid@students.school.example>"), trace_text(r.trace));
    // A bare login's null sender is LOGIN@login_domain: a member of staff here, free to leave.
    auto staff = user(rules, "kid");
    BOOST_TEST_REQUIRE(reply(staff.mail_from("<>")) == ok);
    BOOST_TEST(staff.rcpt_to("friend@far.example").verdict.code == 250);
}

BOOST_AUTO_TEST_CASE(envelope_sender_is_judged_not_other_addresses_the_login_owns) {
    // head owns office@school.example too; what it sends as is what the restrictions see.
    auto rules = load_ok(dir, school_rules(R"(
[[group]]
name = "office"
members = ["office@school.example"]

[[delivery_restriction]]
name = "The office writes inside only"
senders = ["group:office"]
recipients = ["outside"]
action = "reject"
)"));
    auto own = user(rules, "head");
    BOOST_TEST_REQUIRE(reply(own.mail_from("head@school.example")) == ok);
    BOOST_TEST(own.rcpt_to("friend@far.example").verdict.code == 250);
    auto office = user(rules, "head");
    BOOST_TEST_REQUIRE(reply(office.mail_from("office@school.example")) == ok);
    BOOST_TEST(office.rcpt_to("friend@far.example").verdict.code == 550);
}

BOOST_AUTO_TEST_CASE(without_an_authoritative_domain_a_bare_login_owns_only_send_as) {
    auto rules = load_ok(dir, std::string(R"([organization]
hostname = "mx.relay.example"

[[accepted_domain]]
domain = "relay.example"
type = "internal-relay"

[[send_as]]
login = "app"
addresses = ["app@relay.example"]
)") + submission_connector);
    BOOST_TEST(rules->organization.login_domain.empty());
    BOOST_TEST(mail(rules, "app", "app@relay.example") == ok);
    BOOST_TEST(mail(rules, "bot", "bot@relay.example") == owned_553("bot@relay.example", "bot"));
    auto s = user(rules, "bot");
    s.mail_from("<>");
    BOOST_TEST(trace_has(s.mail.trace, "login bot owns no address of its own"), trace_text(s.mail.trace));
}

BOOST_AUTO_TEST_SUITE_END()
