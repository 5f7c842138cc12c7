// RCPT stage: recipient limit, relay control (routing characters too), recipient lists, delivery
// restrictions, recipient policies, routes; lookups that fail answer 451 4.3.0, never accept.
#define BOOST_TEST_MODULE engine_rcpt
#include "engine_fixture.hpp"

using namespace mw::test;

namespace {

const std::string rules_toml = std::string(base_rules) + internet_connector + submission_connector + R"(
[[accepted_domain]]
domain = "listed.example"
type = "authoritative"
recipients = ["file:mailboxes.txt", "postmaster@listed.example", "@team.listed.example"]

[[receive_connector]]
name = "Tight"
bind = ["0.0.0.0:2525"]
permission_groups = ["anonymous"]
max_recipients = 2

[[group]]
name = "students"
members = ["@students.example.com", "file:students.txt"]

[[group]]
name = "minors"
members = ["group:students"]

[[delivery_restriction]]
name = "Minors may write to the partner school"
senders = ["group:minors"]
recipients = ["@partner.example"]
action = "allow"

[[delivery_restriction]]
name = "Minors stay inside"
senders = ["group:minors"]
recipients = ["outside"]
action = "reject"

[[delivery_restriction]]
name = "No mail to the vault"
senders = ["any"]
recipients = ["vault@example.com"]
action = "reject"
reply = "550 5.7.1 The vault takes no mail"

[[recipient_policy]]
recipients = ["all-staff@example.com"]
accept_only_from = ["@example.com"]
require_authenticated_sender = true

[[recipient_policy]]
recipients = ["ceo@example.com"]
reject_from = ["@competitor.example", "file:blocked.txt"]

[[send_connector]]
name = "Internet"
address_spaces = ["*"]
)";

struct Fixture {
    TempDir dir{"engine-rcpt"};
    std::shared_ptr<const Ruleset> rules;

    Fixture() {
        dir.write("rules/mailboxes.txt", "alice@listed.example\n# comment\nbob@listed.example\n");
        dir.write("rules/students.txt", "kid1@example.com\n");
        dir.write("rules/blocked.txt", "@spammer.example\n");
        rules = load_ok(dir, rules_toml);
    }

    Session internet(std::string_view from = "someone@far.example") {
        Session s(rules, standalone_facts("192.0.2.1", 25, "198.51.100.7"));
        int code = s.mail_from(from).code;
        BOOST_TEST_REQUIRE(code == 250, trace_text(s.mail.trace));
        return s;
    }
    Session user(const std::string& login, std::string_view from) {
        auto f = standalone_facts("192.0.2.1", 587, "198.51.100.7");
        f.tls = tls13();
        f.auth_login = login;
        Session s(rules, f);
        int code = s.mail_from(from).code;
        BOOST_TEST_REQUIRE(code == 250, trace_text(s.mail.trace));
        return s;
    }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(rcpt, Fixture)

BOOST_AUTO_TEST_CASE(local_recipient_accepted_without_route) {
    auto s = internet();
    const auto& r = s.rcpt_to("bob@example.com");
    BOOST_TEST(reply(r.verdict) == "250 2.1.5 Ok");
    BOOST_TEST(r.verdict.rule.empty());
    BOOST_TEST(!r.route);
    BOOST_TEST(s.rcpt_to("x@deep.sub.example.com").verdict.code == 250);  // wildcard accepted domain
}

BOOST_AUTO_TEST_CASE(relay_denied_without_accept_any_recipient) {
    auto s = internet();
    const auto& r = s.rcpt_to("victim@other.example");
    BOOST_TEST(reply(r.verdict) == "554 5.7.1 <victim@other.example>: Relay access denied");
    BOOST_TEST(r.verdict.rule == "connector Internet: no accept-any-recipient");
    // "*.example.com" does not include a look-alike.
    BOOST_TEST(s.rcpt_to("x@badexample.com").verdict.code == 554);
}

BOOST_AUTO_TEST_CASE(users_may_relay_and_get_a_route) {
    auto s = user("alice", "alice@example.com");
    const auto& r = s.rcpt_to("friend@far.example");
    BOOST_TEST(reply(r.verdict) == "250 2.1.5 Ok", trace_text(r.trace));
    BOOST_TEST_REQUIRE(r.route.has_value());
    BOOST_TEST(r.route->send_connector == "Internet");
    BOOST_TEST(r.route->nexthop.str() == "far.example");
}

BOOST_AUTO_TEST_CASE(internal_relay_domain_accepted_with_route) {
    auto s = internet();
    const auto& r = s.rcpt_to("x@relay.example");
    BOOST_TEST(reply(r.verdict) == "250 2.1.5 Ok");
    BOOST_TEST(r.route.has_value());
}

BOOST_AUTO_TEST_CASE(routing_characters_in_local_domains_are_relay_attempts) {
    for (const char* rcpt : {"victim%other.example@example.com", "other.example!victim@example.com",
                             "\"victim@other.example\"@example.com"}) {
        BOOST_TEST_CONTEXT(rcpt) {
            auto s = internet();
            const auto& r = s.rcpt_to(rcpt);
            BOOST_TEST(r.verdict.code == 554);
            BOOST_TEST(r.verdict.text.ends_with(">: Relay access denied"));
            BOOST_TEST(r.verdict.rule == "connector Internet: routing characters, no accept-any-recipient");
            // With accept-any-recipient the address is just a local part.
            auto u = user("alice", "alice@example.com");
            BOOST_TEST(u.rcpt_to(rcpt).verdict.code == 250);
        }
    }
}

BOOST_AUTO_TEST_CASE(recipient_limit) {
    Session s(rules, standalone_facts("192.0.2.1", 2525, "198.51.100.7"));
    s.mail_from("a@far.example");
    BOOST_TEST(s.rcpt_to("a@example.com").verdict.code == 250);
    BOOST_TEST(s.rcpt_to("nobody@other.example").verdict.code == 554);  // refused ones do not count
    BOOST_TEST(s.rcpt_to("b@example.com").verdict.code == 250);
    const auto& r = s.rcpt_to("c@example.com");
    BOOST_TEST(reply(r.verdict) == "452 4.5.3 Too many recipients");
    BOOST_TEST(r.verdict.action == Action::tempfail);
    BOOST_TEST(r.verdict.rule == "connector Tight: max_recipients");
}

BOOST_AUTO_TEST_CASE(recipient_list_of_an_authoritative_domain) {
    auto s = internet();
    BOOST_TEST(s.rcpt_to("alice@listed.example").verdict.code == 250);
    BOOST_TEST(s.rcpt_to("BOB@Listed.Example").verdict.code == 250);
    BOOST_TEST(s.rcpt_to("postmaster@listed.example").verdict.code == 250);
    const auto& r = s.rcpt_to("nobody@listed.example");
    BOOST_TEST(reply(r.verdict) == "550 5.1.1 <nobody@listed.example>: User unknown");
    BOOST_TEST(r.verdict.rule == "accepted domain listed.example: recipients");
}

BOOST_AUTO_TEST_CASE(delivery_restriction_reject_through_nested_groups_and_lists) {
    auto s = user("kid1@example.com", "kid1@example.com");  // in students via the list file
    const auto& out = s.rcpt_to("friend@far.example");
    BOOST_TEST(reply(out.verdict) == "550 5.7.1 <friend@far.example>: Delivery not authorized");
    BOOST_TEST(out.verdict.rule == "Minors stay inside");
    BOOST_TEST(trace_has(out.trace, "delivery restriction 'Minors stay inside' matched: reject"), trace_text(out.trace));
    BOOST_TEST(s.rcpt_to("teacher@example.com").verdict.code == 250);
    auto d = user("tom@students.example.com", "tom@students.example.com");  // in students via the domain
    BOOST_TEST(d.rcpt_to("friend@far.example").verdict.rule == "Minors stay inside");
    // A bare login is LOGIN@login_domain (example.com here): kid1 is in the list that way.
    auto bare = user("kid1", "kid1@example.com");
    BOOST_TEST(bare.rcpt_to("friend@far.example").verdict.rule == "Minors stay inside");
}

BOOST_AUTO_TEST_CASE(allow_is_an_exception_that_ends_the_restrictions) {
    auto s = user("kid1@example.com", "kid1@example.com");
    const auto& r = s.rcpt_to("pal@partner.example");
    BOOST_TEST(reply(r.verdict) == "250 2.1.5 Ok", trace_text(r.trace));
    BOOST_TEST(trace_has(r.trace, "'Minors may write to the partner school' matched: allow"), trace_text(r.trace));
}

BOOST_AUTO_TEST_CASE(restriction_with_its_own_reply) {
    auto s = internet();
    const auto& r = s.rcpt_to("vault@example.com");
    BOOST_TEST(reply(r.verdict) == "550 5.7.1 The vault takes no mail");
    BOOST_TEST(r.verdict.rule == "No mail to the vault");
}

BOOST_AUTO_TEST_CASE(recipient_policy_accept_only_from_and_authentication) {
    auto anon_inside_domain = internet("x@far.example");
    const auto& r = anon_inside_domain.rcpt_to("all-staff@example.com");
    BOOST_TEST(reply(r.verdict) == "550 5.7.1 <all-staff@example.com>: Delivery not authorized");
    BOOST_TEST(r.verdict.rule == "recipient policy for all-staff@example.com");
    BOOST_TEST(user("alice", "alice@example.com").rcpt_to("all-staff@example.com").verdict.code == 250);
    // Authenticated but not from an allowed sender: a login outside the accepted domains with the
    // null sender. (Login "alice" with <> passes: a null sender is judged as her address
    // alice@example.com, one she could have used in MAIL FROM anyway; see sender_identity_test.)
    auto bounce = user("alice@far.example", "<>");
    BOOST_TEST(bounce.rcpt_to("all-staff@example.com").verdict.code == 550);
    BOOST_TEST(user("alice", "<>").rcpt_to("all-staff@example.com").verdict.code == 250);
}

BOOST_AUTO_TEST_CASE(recipient_policy_reject_from) {
    BOOST_TEST(internet("a@competitor.example").rcpt_to("ceo@example.com").verdict.code == 550);
    BOOST_TEST(internet("a@spammer.example").rcpt_to("ceo@example.com").verdict.rule ==
               "recipient policy for ceo@example.com");
    BOOST_TEST(internet("a@friend.example").rcpt_to("ceo@example.com").verdict.code == 250);
}

BOOST_AUTO_TEST_CASE(rcpt_without_mail_context_fails_closed) {
    MailContext empty;
    auto r = evaluate_rcpt(*rules, SessionFacts{}, empty, addr("bob@example.com"), 0);
    BOOST_TEST(reply(r.verdict) == "451 4.3.0 Temporary policy failure");
}

BOOST_AUTO_TEST_SUITE_END()

// Regression: a list lookup that fails must answer 451 4.3.0, never accept or reject for good.
// (A list whose store is unusable answers Unknown exactly as an LMDB read error does.)
BOOST_FIXTURE_TEST_CASE(list_lookup_error_fails_closed, Fixture) {
    auto broken = std::make_shared<Ruleset>(*rules);
    for (auto& ad : broken->accepted_domains)
        if (ad.recipients)
            for (auto& p : *ad.recipients) p.list.reset();
    Session s(broken, standalone_facts("192.0.2.1", 25, "198.51.100.7"));
    BOOST_TEST_REQUIRE(s.mail_from("a@far.example").code == 250);
    const auto& r = s.rcpt_to("someone@listed.example");
    BOOST_TEST(reply(r.verdict) == "451 4.3.0 Temporary policy failure", trace_text(r.trace));
    BOOST_TEST(r.verdict.rule == "accepted domain listed.example: recipients");
    BOOST_TEST(trace_has(r.trace, "list file:mailboxes.txt"), trace_text(r.trace));
    // An inline entry that matches is a known answer even while the list is broken.
    BOOST_TEST(s.rcpt_to("postmaster@listed.example").verdict.code == 250);
}

BOOST_FIXTURE_TEST_CASE(recipient_policy_lookup_error_fails_closed, Fixture) {
    auto broken = std::make_shared<Ruleset>(*rules);
    for (auto& p : broken->recipient_policies)
        for (auto& e : p.reject_from) e.list.reset();
    Session s(broken, standalone_facts("192.0.2.1", 25, "198.51.100.7"));
    BOOST_TEST_REQUIRE(s.mail_from("a@friend.example").code == 250);
    const auto& r = s.rcpt_to("ceo@example.com");
    BOOST_TEST(reply(r.verdict) == "451 4.3.0 Temporary policy failure", trace_text(r.trace));
    BOOST_TEST(r.verdict.rule == "recipient policy for ceo@example.com");
}

BOOST_FIXTURE_TEST_CASE(unloaded_list_or_missing_group_fails_closed, Fixture) {
    auto broken = std::make_shared<Ruleset>(*rules);
    for (auto& g : broken->groups)
        for (auto& m : g.members) m.list.reset();  // as if the list could not be opened
    Session s(broken, standalone_facts("192.0.2.1", 587, "198.51.100.7"));
    s.facts.tls = tls13();
    s.facts.auth_login = "alice";
    s.connect = evaluate_connect(*broken, s.facts);
    BOOST_TEST_REQUIRE(s.mail_from("alice@example.com").code == 250);
    BOOST_TEST(reply(s.rcpt_to("friend@far.example").verdict) == "451 4.3.0 Temporary policy failure");

    auto no_group = std::make_shared<Ruleset>(*rules);
    no_group->groups.clear();
    Session t(no_group, s.facts);
    BOOST_TEST_REQUIRE(t.mail_from("alice@example.com").code == 250);
    const auto& r = t.rcpt_to("friend@far.example");
    BOOST_TEST(reply(r.verdict) == "451 4.3.0 Temporary policy failure");
    BOOST_TEST(trace_has(r.trace, "group 'minors' is not defined"), trace_text(r.trace));
}
