// README "Replies": one case per row the policy engine produces, byte-exact (code, enhanced
// status and text), plus the action each maps to. The standalone-only rows (bare CR/LF, line
// length, syntax, AUTH, connection limits) belong to the SMTP server, not the engine.
#define BOOST_TEST_MODULE engine_replies
#include "engine_fixture.hpp"

using namespace mw::test;

namespace {

const std::string rules_toml = std::string(base_rules) + internet_connector + submission_connector + R"(
[[accepted_domain]]
domain = "listed.example"
recipients = ["alice@listed.example"]

[[receive_connector]]
name = "Small"
bind = ["0.0.0.0:2525"]
permission_groups = ["anonymous"]
max_recipients = 1
max_message_size = "1KB"

[[receive_connector]]
name = "Loopback"
bind = ["127.0.0.1:24"]
remote = ["127.0.0.0/8"]
permission_groups = ["anonymous"]

[domain_security]
receive = ["partner.example"]

[[tls_required]]
domain = "bank.example"
direction = "receive"

[[delivery_restriction]]
name = "No mail to the vault"
senders = ["any"]
recipients = ["vault@example.com"]
action = "reject"

[[delivery_restriction]]
name = "Closed list"
senders = ["any"]
recipients = ["closed@example.com"]
action = "reject"
reply = "550 5.7.1 This list is closed"

[[recipient_policy]]
recipients = ["board@example.com"]
require_authenticated_sender = true
)";

struct Fixture {
    TempDir dir{"engine-replies"};
    std::shared_ptr<const Ruleset> rules = load_ok(dir, rules_toml);

    Session internet(std::uint16_t port = 25, bool tls = false) {
        auto f = standalone_facts("192.0.2.1", port, "198.51.100.7");
        if (tls) f.tls = tls13();
        return Session(rules, f);
    }
    Session submission(std::optional<std::string> login, bool tls = true) {
        auto f = standalone_facts("192.0.2.1", 587, "198.51.100.7");
        if (tls) f.tls = tls13();
        f.auth_login = std::move(login);
        return Session(rules, f);
    }
};

void expect(const Verdict& v, const std::string& text, Action action) {
    BOOST_TEST(reply(v) == text);
    BOOST_TEST(v.action == action);
    BOOST_TEST(!v.rule.empty());  // every refusal names its rule or connector
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(replies, Fixture)

BOOST_AUTO_TEST_CASE(relay_access_denied) {
    auto s = internet();
    s.mail_from("a@far.example");
    expect(s.rcpt_to("victim@other.example").verdict, "554 5.7.1 <victim@other.example>: Relay access denied",
           Action::reject);
}

BOOST_AUTO_TEST_CASE(user_unknown) {
    auto s = internet();
    s.mail_from("a@far.example");
    expect(s.rcpt_to("nobody@listed.example").verdict, "550 5.1.1 <nobody@listed.example>: User unknown", Action::reject);
}

BOOST_AUTO_TEST_CASE(authentication_required) {
    expect(submission(std::nullopt).mail_from("a@far.example"), "530 5.7.0 Authentication required", Action::reject);
}

BOOST_AUTO_TEST_CASE(sender_not_owned) {
    expect(submission("alice").mail_from("bob@example.com"),
           "553 5.7.1 <bob@example.com>: Sender address rejected: not owned by user alice", Action::reject);
}

BOOST_AUTO_TEST_CASE(not_authorized_to_send_as_this_sender) {
    expect(internet().mail_from("ceo@example.com"), "550 5.7.1 <ceo@example.com>: Not authorized to send as this sender",
           Action::reject);
}

BOOST_AUTO_TEST_CASE(starttls_required_by_connector_and_by_sender_domain) {
    expect(submission("alice", false).mail_from("alice@example.com"), "530 5.7.0 Must issue a STARTTLS command first",
           Action::reject);
    expect(internet().mail_from("a@bank.example"), "530 5.7.0 Must issue a STARTTLS command first", Action::reject);
}

BOOST_AUTO_TEST_CASE(certificate_validation_failure) {
    expect(internet(25, true).mail_from("a@partner.example"),
           "454 4.7.5 <a@partner.example>: Certificate validation failure for partner.example", Action::tempfail);
    TempDir d("engine-replies-reject");
    auto strict = load_ok(d, std::string(base_rules) + internet_connector +
                                 "[domain_security]\nreceive = [\"partner.example\"]\non_failure = \"reject\"\n");
    Session s(strict, standalone_facts("192.0.2.1", 25, "198.51.100.7"));
    expect(s.mail_from("a@partner.example"),
           "550 5.7.1 <a@partner.example>: Certificate validation failure for partner.example", Action::reject);
}

BOOST_AUTO_TEST_CASE(delivery_not_authorized_or_the_rules_reply) {
    auto s = internet();
    s.mail_from("a@far.example");
    expect(s.rcpt_to("vault@example.com").verdict, "550 5.7.1 <vault@example.com>: Delivery not authorized", Action::reject);
    expect(s.rcpt_to("closed@example.com").verdict, "550 5.7.1 This list is closed", Action::reject);
    expect(s.rcpt_to("board@example.com").verdict, "550 5.7.1 <board@example.com>: Delivery not authorized", Action::reject);
}

BOOST_AUTO_TEST_CASE(too_many_recipients) {
    auto s = internet(2525);
    s.mail_from("a@far.example");
    BOOST_TEST(s.rcpt_to("a@example.com").verdict.code == 250);
    expect(s.rcpt_to("b@example.com").verdict, "452 4.5.3 Too many recipients", Action::tempfail);
}

BOOST_AUTO_TEST_CASE(message_too_large_at_mail_and_at_data) {
    auto s = internet(2525);
    expect(s.mail_from("a@far.example", 1001), "552 5.3.4 Message size exceeds fixed maximum message size", Action::reject);
    s.mail_from("a@far.example", 10);
    s.rcpt_to("a@example.com");
    expect(s.message({}, 1001).verdict, "552 5.3.4 Message size exceeds fixed maximum message size", Action::reject);
}

BOOST_AUTO_TEST_CASE(access_denied_at_connect) {
    auto r = evaluate_connect(*rules, standalone_facts("127.0.0.1", 24, "192.0.2.9"));
    expect(r.verdict, "554 5.7.1 Access denied", Action::reject);
    auto unbound = evaluate_connect(*rules, standalone_facts("192.0.2.1", 9999, "192.0.2.9"));
    expect(unbound.verdict, "554 5.7.1 Access denied", Action::reject);
}

BOOST_AUTO_TEST_CASE(no_receive_connector_for_this_service) {
    SessionFacts f;
    f.mta = Mta::sendmail;
    f.daemon_name = "MTA-v4";
    f.client_address = ip("192.0.2.9");
    Session s(rules, f);
    BOOST_TEST(s.connect.answer_at_mail);
    expect(s.mail_from("a@far.example"), "451 4.3.5 No receive connector for this service", Action::tempfail);
    BOOST_TEST(s.mail.verdict.rule == "no receive connector for daemon 'MTA-v4'");
}

BOOST_AUTO_TEST_CASE(internal_error) {
    MailContext empty;
    auto r = evaluate_rcpt(*rules, SessionFacts{}, empty, addr("a@example.com"), 0);
    expect(r.verdict, "451 4.3.0 Temporary policy failure", Action::tempfail);
}

BOOST_AUTO_TEST_CASE(accepts) {
    auto s = internet();
    BOOST_TEST(reply(s.mail_from("a@far.example")) == "250 2.1.0 Ok");
    BOOST_TEST(reply(s.rcpt_to("bob@example.com").verdict) == "250 2.1.5 Ok");
    BOOST_TEST(reply(s.message().verdict) == "250 2.0.0 Ok");
}

BOOST_AUTO_TEST_SUITE_END()
