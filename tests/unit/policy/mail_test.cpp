// MAIL stage: the order of README "The order of the checks at MAIL", sender ownership and anti-spoofing, SIZE.
#define BOOST_TEST_MODULE engine_mail
#include "engine_fixture.hpp"

using namespace mw::test;

namespace {

const std::string rules_toml = std::string(base_rules) + internet_connector + submission_connector + R"(
[[receive_connector]]
name = "Open"
bind = ["0.0.0.0:2525"]
permission_groups = ["anonymous"]
grant = ["accept-any-sender"]
deny = []
max_message_size = "1MB"

[[receive_connector]]
name = "Relaxed submission"
bind = ["0.0.0.0:465"]
permission_groups = ["users"]
grant = ["accept-any-sender"]

[[receive_connector]]
name = "Named clients only"
bind = ["0.0.0.0:2526"]
permission_groups = ["anonymous", "users"]
reverse_dns = "require"

[[tls_required]]
domain = "bank.example"
direction = "receive"
level = "encrypt"

[[tls_required]]
domain = "*.secure.example"
direction = "both"
level = "encrypt"

[[tls_required]]
domain = "outbound.example"
direction = "send"
level = "encrypt"

[domain_security]
receive = ["partner.example"]

[[send_as]]
login = "alice"
addresses = ["sales@example.com", "@shop.example"]

[[send_as]]
login = "bob@example.com"
addresses = ["helpdesk@example.com"]
)";

struct Fixture {
    TempDir dir{"engine-mail"};
    std::shared_ptr<const Ruleset> rules = load_ok(dir, rules_toml);

    Session internet(bool tls = false) {
        auto f = standalone_facts("192.0.2.1", 25, "198.51.100.7");
        if (tls) f.tls = tls13();
        return Session(rules, f);
    }
    Session submission(std::optional<std::string> login, bool tls = true, std::uint16_t port = 587) {
        auto f = standalone_facts("192.0.2.1", port, "198.51.100.7");
        if (tls) f.tls = tls13();
        f.auth_login = std::move(login);
        return Session(rules, f);
    }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(mail, Fixture)

BOOST_AUTO_TEST_CASE(accept_reply_and_context) {
    auto s = internet();
    BOOST_TEST(reply(s.mail_from("someone@far.example")) == "250 2.1.0 Ok");
    BOOST_TEST(s.mail.verdict.rule.empty());
    BOOST_TEST(s.mail.context.connector->name == "Internet");
    BOOST_TEST(s.mail.context.sender.str() == "someone@far.example");
    BOOST_TEST(trace_has(s.mail.trace, "accept-any-sender granted"), trace_text(s.mail.trace));
}

BOOST_AUTO_TEST_CASE(connector_require_tls_comes_first) {
    // Not authenticated either, but STARTTLS is the first thing missing.
    auto s = submission(std::nullopt, false);
    BOOST_TEST(reply(s.mail_from("alice@example.com")) == "530 5.7.0 Must issue a STARTTLS command first");
    BOOST_TEST(s.mail.verdict.rule == "connector Submission: require_tls");
    BOOST_TEST(reply(submission(std::nullopt, true).mail_from("alice@example.com")) == "530 5.7.0 Authentication required");
}

BOOST_AUTO_TEST_CASE(sender_domain_tls_requirement) {
    auto s = internet();
    BOOST_TEST(reply(s.mail_from("a@bank.example")) == "530 5.7.0 Must issue a STARTTLS command first");
    BOOST_TEST(s.mail.verdict.rule == "tls_required bank.example");
    BOOST_TEST(reply(internet(true).mail_from("a@bank.example")) == "250 2.1.0 Ok");
    BOOST_TEST(reply(internet().mail_from("a@x.secure.example")) == "530 5.7.0 Must issue a STARTTLS command first");
    // "*.d" never includes d itself; a send-only requirement does not apply to inbound mail.
    BOOST_TEST(reply(internet().mail_from("a@secure.example")) == "250 2.1.0 Ok");
    BOOST_TEST(reply(internet().mail_from("a@outbound.example")) == "250 2.1.0 Ok");
    // The null sender has no domain to demand anything.
    BOOST_TEST(reply(internet().mail_from("<>")) == "250 2.1.0 Ok");
}

BOOST_AUTO_TEST_CASE(certificate_check_before_submit) {
    // Unauthenticated on a users-only connector, from a domain-security domain: 454 answers first.
    auto s = submission(std::nullopt, true);
    BOOST_TEST(reply(s.mail_from("a@partner.example")) ==
               "454 4.7.5 <a@partner.example>: Certificate validation failure for partner.example");
}

BOOST_AUTO_TEST_CASE(reverse_dns_require_wants_a_confirmed_name_or_a_login) {
    auto facts = standalone_facts("192.0.2.1", 2526, "198.51.100.7");
    Session unknown(rules, facts);
    BOOST_TEST(reply(unknown.mail_from("someone@far.example")) == "450 4.7.25 Client host rejected: cannot find your hostname");
    BOOST_TEST(unknown.mail.verdict.rule == "connector Named clients only: reverse_dns require");
    // Sendmail's form of an address without a name counts as no name.
    facts.client_name = "[198.51.100.7]";
    BOOST_TEST(reply(Session(rules, facts).mail_from("someone@far.example")).starts_with("450 4.7.25 "));
    facts.client_name = "mail.far.example";
    Session named(rules, facts);
    BOOST_TEST(reply(named.mail_from("someone@far.example")) == "250 2.1.0 Ok");
    BOOST_TEST(trace_has(named.mail.trace, "client name mail.far.example confirmed"), trace_text(named.mail.trace));
    // A user's home address rarely has a name: a login is enough.
    facts.client_name = "unknown";
    facts.tls = tls13();
    facts.auth_login = "alice";
    BOOST_TEST(reply(Session(rules, facts).mail_from("alice@example.com")) == "250 2.1.0 Ok");
    // The default, lookup, refuses nobody.
    BOOST_TEST(reply(internet().mail_from("someone@far.example")) == "250 2.1.0 Ok");
}

BOOST_AUTO_TEST_CASE(submit_before_ownership_before_size) {
    auto unauth = submission(std::nullopt);
    BOOST_TEST(reply(unauth.mail_from("bob@example.com", 99'000'000)) == "530 5.7.0 Authentication required");
    auto spoof = submission("alice");
    BOOST_TEST(reply(spoof.mail_from("bob@example.com", 99'000'000)) ==
               "553 5.7.1 <bob@example.com>: Sender address rejected: not owned by user alice");
    auto big = submission("alice");
    BOOST_TEST(reply(big.mail_from("alice@example.com", 99'000'000)) ==
               "552 5.3.4 Message size exceeds fixed maximum message size");
    BOOST_TEST(big.mail.verdict.rule == "connector Submission: max_message_size");
}

BOOST_AUTO_TEST_CASE(size_parameter_limit_is_inclusive) {
    auto s = Session(rules, standalone_facts("192.0.2.1", 2525, "198.51.100.7"));
    BOOST_TEST(reply(s.mail_from("a@far.example", 1'000'000)) == "250 2.1.0 Ok");
    BOOST_TEST(reply(s.mail_from("a@far.example", 1'000'001)) == "552 5.3.4 Message size exceeds fixed maximum message size");
    BOOST_TEST(reply(s.mail_from("a@far.example", std::nullopt)) == "250 2.1.0 Ok");
}

BOOST_AUTO_TEST_CASE(bare_login_owns_its_name_at_the_login_domain_only) {
    // login_domain defaults to the first authoritative accepted domain, example.com here.
    for (const char* sender : {"alice@example.com", "Alice@EXAMPLE.com."}) {
        BOOST_TEST_CONTEXT(sender) { BOOST_TEST(reply(submission("alice").mail_from(sender)) == "250 2.1.0 Ok"); }
    }
    // Not the same name in our other accepted domains (a subdomain, a relay domain): owning those
    // made every bare login a member of any group named by one of them.
    for (const char* sender : {"alice@sub.example.com", "alice@relay.example"}) {
        BOOST_TEST_CONTEXT(sender) { BOOST_TEST(submission("alice").mail_from(sender).code == 553); }
    }
    // Not in a domain that is not accepted, and not another local part.
    BOOST_TEST(reply(submission("alice").mail_from("alice@far.example")) ==
               "553 5.7.1 <alice@far.example>: Sender address rejected: not owned by user alice");
    BOOST_TEST(submission("alice").mail_from("alice2@example.com").code == 553);
    BOOST_TEST(submission("ALICE").mail_from("alice@example.com").code == 250);
}

BOOST_AUTO_TEST_CASE(address_login_owns_only_that_address) {
    BOOST_TEST(reply(submission("bob@example.com").mail_from("BOB@example.com")) == "250 2.1.0 Ok");
    BOOST_TEST(reply(submission("bob@example.com").mail_from("bob@sub.example.com")) ==
               "553 5.7.1 <bob@sub.example.com>: Sender address rejected: not owned by user bob@example.com");
    BOOST_TEST(submission("bob@example.com").mail_from("helpdesk@example.com").code == 250);  // send_as
}

BOOST_AUTO_TEST_CASE(send_as_entries) {
    BOOST_TEST(submission("alice").mail_from("sales@example.com").code == 250);
    BOOST_TEST(submission("alice").mail_from("orders@shop.example").code == 250);
    BOOST_TEST(submission("alice").mail_from("orders@sub.shop.example").code == 553);
    BOOST_TEST(submission("carol").mail_from("sales@example.com").code == 553);
    auto s = submission("alice");
    s.mail_from("sales@example.com");
    BOOST_TEST(trace_has(s.mail.trace, "send_as address of alice"), trace_text(s.mail.trace));
}

BOOST_AUTO_TEST_CASE(accept_any_sender_lifts_ownership) {
    auto s = submission("alice", true, 465);
    BOOST_TEST(reply(s.mail_from("ceo@example.com")) == "250 2.1.0 Ok", trace_text(s.mail.trace));
}

BOOST_AUTO_TEST_CASE(null_sender_always_passes_ownership) {
    BOOST_TEST(reply(submission("alice").mail_from("<>")) == "250 2.1.0 Ok");
    BOOST_TEST(reply(internet().mail_from("<>")) == "250 2.1.0 Ok");
}

BOOST_AUTO_TEST_CASE(unauthenticated_our_domains_need_ads_any_other_needs_any_sender) {
    BOOST_TEST(reply(internet().mail_from("x@relay.example")) ==
               "550 5.7.1 <x@relay.example>: Not authorized to send as this sender");
    BOOST_TEST(internet().mail_from("x@far.example").code == 250);
}

BOOST_AUTO_TEST_CASE(refused_connect_answers_at_mail) {
    SessionFacts f;
    f.mta = Mta::postfix;
    f.daemon_name = "nonesuch";
    f.client_address = ip("192.0.2.9");
    Session s(rules, f);
    BOOST_TEST(reply(s.mail_from("a@far.example")) == "451 4.3.5 No receive connector for this service");
    BOOST_TEST(s.mail.verdict.rule == "no receive connector for daemon 'nonesuch'");
}

BOOST_AUTO_TEST_CASE(accept_connect_without_connector_fails_closed) {
    ConnectResult bogus;  // accept verdict, no connector: a front-door bug
    auto m = evaluate_mail(*rules, SessionFacts{}, bogus, addr("a@far.example"), std::nullopt);
    BOOST_TEST(reply(m.verdict) == "451 4.3.0 Temporary policy failure");
}

BOOST_AUTO_TEST_SUITE_END()
