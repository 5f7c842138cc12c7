// Message stage: size, transport rules (each condition, each action, priority, except, stop,
// precedence) and the fail-closed PCRE2 path.
#define BOOST_TEST_MODULE engine_message
#include "engine_fixture.hpp"

using namespace mw::test;
using Kind = HeaderEdit::Kind;

namespace {

struct Fixture {
    TempDir dir{"engine-message"};
    std::shared_ptr<const Ruleset> rules;

    void load(const std::string& transport_rules) {
        rules = load_ok(dir, std::string(base_rules) + internet_connector + submission_connector +
                                 "\n[domain_security]\nreceive = [\"partner.example\"]\n" + transport_rules);
    }
    // An anonymous session from outside, or an authenticated one (TLS) from alice@example.com.
    Session session(bool authenticated = false, std::string_view from = "someone@far.example",
                    std::vector<std::string> to = {"bob@example.com"}, bool tls = false) {
        auto f = standalone_facts("192.0.2.1", authenticated ? 587 : 25, "198.51.100.7");
        if (authenticated || tls) f.tls = tls13();
        if (authenticated) f.auth_login = "alice";
        Session s(rules, f);
        int code = s.mail_from(authenticated ? "alice@example.com" : from).code;
        BOOST_TEST_REQUIRE(code == 250, trace_text(s.mail.trace));
        for (const auto& r : to) {
            const RcptResult& result = s.rcpt_to(r);
            BOOST_TEST_REQUIRE(result.verdict.code == 250, trace_text(result.trace));
        }
        return s;
    }
    // True if the rule named "R" ran for this message.
    static bool fired(const MessageResult& m, const std::string& name = "R") {
        return std::find(m.rules_applied.begin(), m.rules_applied.end(), name) != m.rules_applied.end();
    }
};

const char* const tag_rule = R"(then = { add_header = { X-Tag = "yes" } }
)";

std::string rule(const std::string& condition, const std::string& name = "R") {
    return "\n[[transport_rule]]\nname = \"" + name + "\"\nif = " + condition + "\n" + tag_rule;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(message, Fixture)

BOOST_AUTO_TEST_CASE(plain_accept_and_size_limit) {
    load("");
    auto s = session();
    auto m = s.message({{"Subject", "hi"}}, 1000);
    BOOST_TEST(reply(m.verdict) == "250 2.0.0 Ok");
    BOOST_TEST(m.verdict.rule.empty());
    BOOST_TEST(has_edit(m, Kind::add, "X-Mailwarden-AuthAs", "Anonymous"), edits_text(m));
    auto big = s.message({}, 35'000'001);
    BOOST_TEST(reply(big.verdict) == "552 5.3.4 Message size exceeds fixed maximum message size");
    BOOST_TEST(big.verdict.rule == "connector Internet: max_message_size");
    BOOST_TEST(big.header_edits.empty());
    BOOST_TEST(s.message({}, 35'000'000).verdict.code == 250);
}

BOOST_AUTO_TEST_CASE(condition_from_and_from_scope) {
    load(rule(R"({ from = ["@far.example"] })") + rule(R"({ from_scope = "inside" })", "Inside") +
         rule(R"({ from_scope = "outside" })", "Outside"));
    auto m = session().message();
    BOOST_TEST(fired(m));
    BOOST_TEST(fired(m, "Outside"));
    BOOST_TEST(!fired(m, "Inside"));
    auto a = session(true).message();
    BOOST_TEST(!fired(a));
    BOOST_TEST(fired(a, "Inside"));
}

BOOST_AUTO_TEST_CASE(condition_to_and_to_scope_any_recipient) {
    load(rule(R"({ to = ["legal@example.com"] })") + rule(R"({ to_scope = "outside" })", "Leaves"));
    BOOST_TEST(!fired(session().message()));
    BOOST_TEST(fired(session(false, "a@far.example", {"bob@example.com", "legal@example.com"}).message()));
    BOOST_TEST(fired(session(true, "", {"bob@example.com", "x@far.example"}).message(), "Leaves"));
    BOOST_TEST(!fired(session(true, "", {"bob@example.com"}).message(), "Leaves"));
}

BOOST_AUTO_TEST_CASE(condition_subject_contains_and_matches) {
    load(rule(R"({ subject_contains = ["invoice", "bill"] })") + rule(R"({ subject_matches = "^\\[ext\\]" })", "Re"));
    auto s = session();
    BOOST_TEST(fired(s.message({{"Subject", "Your INVOICE is due"}})));
    BOOST_TEST(fired(s.message({{"subject", "the Bill"}})));  // field names compare case-insensitively
    BOOST_TEST(!fired(s.message({{"Subject", "hello"}})));
    BOOST_TEST(!fired(s.message({{"X-Subject", "invoice"}})));
    BOOST_TEST(!fired(s.message({})));
    BOOST_TEST(fired(s.message({{"Subject", "[ext] x"}}), "Re"));
    BOOST_TEST(!fired(s.message({{"Subject", "x [ext]"}}), "Re"));
    // Folded values are unfolded before the tests.
    BOOST_TEST(fired(s.message({{"Subject", "your in\r\n voice"}})) == false);
    BOOST_TEST(fired(s.message({{"Subject", "your\r\n invoice"}})));
}

BOOST_AUTO_TEST_CASE(condition_header_contains_and_matches) {
    load(rule(R"({ header_contains = { X-Spam-Flag = ["YES"] } })") +
         rule(R"({ header_matches = { Content-Type = "(?i)name=.*\\.exe" } })", "Exe") +
         rule(R"({ header_contains = { X-A = "1", X-B = "2" } })", "Both"));
    auto s = session();
    BOOST_TEST(fired(s.message({{"X-Spam-Flag", "yes"}})));
    BOOST_TEST(fired(s.message({{"X-Other", "x"}, {"x-spam-flag", "maybe YES"}})));
    BOOST_TEST(!fired(s.message({{"X-Spam-Flag", "NO"}})));
    BOOST_TEST(fired(s.message({{"Content-Type", "application/octet-stream; NAME=run.EXE"}}), "Exe"));
    BOOST_TEST(!fired(s.message({{"Content-Type", "text/plain"}}), "Exe"));
    // Several headers in one condition must all match.
    BOOST_TEST(!fired(s.message({{"X-A", "1"}}), "Both"));
    BOOST_TEST(fired(s.message({{"X-A", "1"}, {"X-B", "2"}}), "Both"));
}

BOOST_AUTO_TEST_CASE(rules_see_the_headers_after_the_firewall) {
    load(rule(R"({ header_contains = { X-Mailwarden-AuthAs = "Internal" } })"));
    BOOST_TEST(!fired(session().message({{"X-Mailwarden-AuthAs", "Internal"}})));
}

BOOST_AUTO_TEST_CASE(condition_size_authenticated_tls_domain_secure) {
    load(rule(R"({ size_over = "1KB" })", "Big") + rule(R"({ authenticated = true })", "Auth") +
         rule(R"({ authenticated = false })", "Anon") + rule(R"({ tls = true })", "Tls") +
         rule(R"({ domain_secure = true })", "Secure") + rule(R"({ domain_secure = false })", "Insecure"));
    auto s = session();
    BOOST_TEST(!fired(s.message({}, 1000), "Big"));
    BOOST_TEST(fired(s.message({}, 1001), "Big"));
    auto m = s.message();
    BOOST_TEST(fired(m, "Anon"));
    BOOST_TEST(!fired(m, "Auth"));
    BOOST_TEST(!fired(m, "Tls"));
    BOOST_TEST(fired(m, "Insecure"));
    auto a = session(true).message();
    BOOST_TEST(fired(a, "Auth"));
    BOOST_TEST(fired(a, "Tls"));
    BOOST_TEST(!fired(a, "Secure"));
    BOOST_TEST(fired(session(false, "a@far.example", {"bob@example.com"}, true).message(), "Tls"));

    auto f = standalone_facts("192.0.2.1", 25, "198.51.100.7");
    f.tls = tls13();
    f.tls->cert = PeerCertificate{"CN=mx.partner.example", "CN=CA", {}, std::nullopt, true};
    Session p(rules, f);
    BOOST_TEST_REQUIRE(p.mail_from("a@partner.example").code == 250);
    p.rcpt_to("bob@example.com");
    auto pm = p.message();
    BOOST_TEST(fired(pm, "Secure"));
    BOOST_TEST(!fired(pm, "Insecure"));
}

BOOST_AUTO_TEST_CASE(except_prevents) {
    load(R"(
[[transport_rule]]
name = "R"
if = { from_scope = "outside" }
except = { from = ["@trusted.example"], subject_contains = "ok" }
then = { prepend_subject = "[EXTERNAL] " }
)");
    BOOST_TEST(fired(session(false, "a@far.example").message({{"Subject", "ok"}})));
    BOOST_TEST(fired(session(false, "a@trusted.example").message({{"Subject", "hello"}})));
    auto m = session(false, "a@trusted.example").message({{"Subject", "ok"}});
    BOOST_TEST(!fired(m));
    BOOST_TEST(trace_has(m.trace, "exception applies"), trace_text(m.trace));
}

BOOST_AUTO_TEST_CASE(priority_order_and_stop) {
    load(R"(
[[transport_rule]]
name = "Third"
priority = 30
if = { from_scope = "any" }
then = { add_header = { X-Order = "3" } }

[[transport_rule]]
name = "First"
priority = 10
if = { from_scope = "any" }
then = { add_header = { X-Order = "1" } }

[[transport_rule]]
name = "Second"
priority = 20
if = { subject_contains = "stop" }
then = { add_header = { X-Order = "2" }, stop = true }

[[transport_rule]]
name = "Also first"
priority = 10
if = { from_scope = "any" }
then = { add_header = { X-Order = "1b" } }
)");
    auto m = session().message({{"Subject", "go"}});
    BOOST_TEST(m.rules_applied == (std::vector<std::string>{"First", "Also first", "Third"}), boost::test_tools::per_element());
    auto stopped = session().message({{"Subject", "stop"}});
    BOOST_TEST(stopped.rules_applied == (std::vector<std::string>{"First", "Also first", "Second"}),
               boost::test_tools::per_element());
    BOOST_TEST(!has_edit(stopped, Kind::add, "X-Order", "3"));
}

BOOST_AUTO_TEST_CASE(actions_on_headers_and_subject) {
    load(R"(
[[transport_rule]]
name = "R"
if = { from_scope = "outside" }
then = { add_header = { X-External = "yes" }, set_header = { X-Class = "external" }, remove_header = ["X-Internal", "X-Gone"], prepend_subject = "[EXT] " }
)");
    auto m = session().message({{"X-Internal", "a"}, {"Subject", "s"}, {"x-internal", "b"}});
    BOOST_TEST(reply(m.verdict) == "250 2.0.0 Ok");
    BOOST_TEST(has_edit(m, Kind::add, "X-External", "yes"), edits_text(m));
    BOOST_TEST(has_edit(m, Kind::set, "X-Class", "external"), edits_text(m));
    BOOST_TEST(has_edit(m, Kind::prepend_subject, "Subject", "[EXT] "), edits_text(m));
    BOOST_TEST(has_edit(m, Kind::remove, "X-Internal", "", 2), edits_text(m));
    BOOST_TEST(has_edit(m, Kind::remove, "X-Internal", "", 1), edits_text(m));
    // Removals first, highest index first; additions after; our stamps last.
    BOOST_TEST(edits_text(m).starts_with("-X-Internal#2\n-X-Internal#1\n"), edits_text(m));
    BOOST_TEST(m.header_edits.back().name.starts_with("X-Mailwarden-"), edits_text(m));
}

BOOST_AUTO_TEST_CASE(remove_header_also_drops_earlier_additions) {
    load(R"(
[[transport_rule]]
name = "Add"
priority = 1
if = { from_scope = "any" }
then = { add_header = { X-Note = "1" } }

[[transport_rule]]
name = "Remove"
priority = 2
if = { from_scope = "any" }
then = { remove_header = "x-note" }
)");
    auto m = session().message({{"X-Note", "arrived"}});
    BOOST_TEST(!has_edit(m, Kind::add, "X-Note", "1"), edits_text(m));
    BOOST_TEST(has_edit(m, Kind::remove, "X-Note", "", 1), edits_text(m));
}

BOOST_AUTO_TEST_CASE(actions_bcc_and_redirect) {
    load(R"(
[[transport_rule]]
name = "Copy"
priority = 1
if = { to = ["legal@example.com"] }
then = { add_bcc = ["archive@example.com", "audit@example.com"] }

[[transport_rule]]
name = "Redirect"
priority = 2
if = { to = ["gone@example.com"] }
then = { redirect_to = "manager@example.com" }
)");
    auto copy = session(false, "a@far.example", {"legal@example.com"}).message();
    BOOST_TEST(copy.add_recipients.size() == 2u);
    BOOST_TEST(copy.add_recipients[0].str() == "archive@example.com");
    BOOST_TEST(copy.remove_recipients.empty());
    auto redirect = session(false, "a@far.example", {"gone@example.com", "bob@example.com"}).message();
    BOOST_TEST(redirect.add_recipients.size() == 1u);
    BOOST_TEST(redirect.add_recipients[0].str() == "manager@example.com");
    BOOST_TEST(redirect.remove_recipients.size() == 2u);  // every original recipient
    BOOST_TEST(redirect.verdict.code == 250);
}

BOOST_AUTO_TEST_CASE(actions_reject_tempfail_discard_quarantine) {
    load(R"(
[[transport_rule]]
name = "Reject"
if = { subject_contains = "reject" }
then = { reject = "550 5.7.1 Not here" }

[[transport_rule]]
name = "Tempfail"
if = { subject_contains = "later" }
then = { tempfail = true }

[[transport_rule]]
name = "Tempfail text"
if = { subject_contains = "custom" }
then = { tempfail = "450 4.7.2 Try again" }

[[transport_rule]]
name = "Discard"
if = { subject_contains = "drop" }
then = { discard = true }

[[transport_rule]]
name = "Quarantine"
if = { subject_contains = "suspect" }
then = { quarantine = true }
)");
    auto s = session();
    auto r = s.message({{"Subject", "reject"}});
    BOOST_TEST(reply(r.verdict) == "550 5.7.1 Not here");
    BOOST_TEST(r.verdict.action == Action::reject);
    BOOST_TEST(r.verdict.rule == "Reject");
    BOOST_TEST(!has_edit(r, Kind::add, "X-Mailwarden-AuthAs", "Anonymous"));
    auto t = s.message({{"Subject", "later"}});
    BOOST_TEST(reply(t.verdict) == "451 4.7.1 Message deferred by rule Tempfail");
    BOOST_TEST(t.verdict.action == Action::tempfail);
    BOOST_TEST(reply(s.message({{"Subject", "custom"}}).verdict) == "450 4.7.2 Try again");
    auto d = s.message({{"Subject", "drop"}});
    BOOST_TEST(d.verdict.action == Action::discard);
    BOOST_TEST(reply(d.verdict) == "250 2.0.0 Ok");
    BOOST_TEST(d.verdict.rule == "Discard");
    BOOST_TEST(!has_edit(d, Kind::add, "X-Mailwarden-AuthAs", "Anonymous"));
    auto q = s.message({{"Subject", "suspect"}});
    BOOST_TEST(q.verdict.action == Action::quarantine);
    BOOST_TEST(reply(q.verdict) == "250 2.0.0 Ok");
    BOOST_TEST(q.verdict.rule == "Quarantine");
    BOOST_TEST(has_edit(q, Kind::add, "X-Mailwarden-AuthAs", "Anonymous"));  // quarantined mail is stamped
}

BOOST_AUTO_TEST_CASE(precedence_and_ending_actions) {
    load(R"(
[[transport_rule]]
name = "Quarantine"
priority = 1
if = { subject_contains = "x" }
then = { quarantine = true }

[[transport_rule]]
name = "Discard"
priority = 2
if = { subject_contains = "discard" }
then = { discard = true }

[[transport_rule]]
name = "Reject"
priority = 3
if = { subject_contains = "x" }
then = { reject = "554 5.7.1 No" }
)");
    auto s = session();
    auto rq = s.message({{"Subject", "x"}});
    BOOST_TEST(rq.verdict.action == Action::reject);  // reject beats the earlier quarantine
    BOOST_TEST(rq.verdict.rule == "Reject");
    auto dq = s.message({{"Subject", "x discard"}});
    BOOST_TEST(dq.verdict.action == Action::discard);  // discard ends processing: reject never runs
    BOOST_TEST(dq.rules_applied == (std::vector<std::string>{"Quarantine", "Discard"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()

// Regression: a PCRE2 failure must tempfail the message, never skip the rule and accept.
BOOST_FIXTURE_TEST_CASE(regex_error_fails_closed, Fixture) {
    load(R"(
[[transport_rule]]
name = "No executables"
if = { header_matches = { Content-Type = "exe" } }
then = { reject = "550 5.7.1 No executables" }

[[transport_rule]]
name = "Subject check"
if = { subject_matches = "x" }
then = { reject = "550 5.7.1 No" }
)");
    auto s = session();
    // A pattern set whose one pattern was never compiled: every match of it fails.
    PatternSet failing;
    BOOST_TEST_REQUIRE(failing.add_regex(mw::Regex{}) == 0u);
    BOOST_TEST_REQUIRE(failing.compile().ok());
    auto broken = std::make_shared<Ruleset>(*rules);
    broken->patterns.headers[broken->transport_rules[0].if_.header_matches[0].set] = failing;
    s.rules = broken;
    auto m = s.message({{"Content-Type", "text/plain"}});
    BOOST_TEST(reply(m.verdict) == "451 4.3.0 Temporary policy failure", trace_text(m.trace));
    BOOST_TEST(m.verdict.rule == "No executables");
    BOOST_TEST(trace_has(m.trace, "fails closed"), trace_text(m.trace));
    BOOST_TEST(!has_edit(m, Kind::add, "X-Mailwarden-AuthAs", "Anonymous"));
    // A message without that header never needs the regex: known answer, accepted.
    BOOST_TEST(s.message({}).verdict.code == 250);

    auto subject = std::make_shared<Ruleset>(*rules);
    subject->patterns.subject = failing;
    s.rules = subject;
    BOOST_TEST(reply(s.message({{"Subject", "hello"}}).verdict) == "451 4.3.0 Temporary policy failure");
}

BOOST_FIXTURE_TEST_CASE(regex_match_limit_fails_closed, Fixture) {
    // A real pcre2_match error, not a hand-broken Regex: catastrophic backtracking against a hostile
    // Subject hits the match limit policy/regex.cpp sets, and the rule fails closed (451 4.3.0), as
    // docs/conventions.md "Errors" asks, instead of being skipped as Postfix would. (The code-point
    // escape keeps the pattern with PCRE2 alone: for "^(a+)+$" Hyperscan's prefilter proves there is
    // no match and PCRE2 is never asked.)
    load(R"(
[[transport_rule]]
name = "Backtracking"
if = { subject_matches = "^(a+)+\\x{e9}?$" }
then = { reject = "550 5.7.1 No" }
)");
    auto s = session();
    auto m = s.message({{"Subject", std::string(40, 'a') + "b"}});
    BOOST_TEST(reply(m.verdict) == "451 4.3.0 Temporary policy failure", trace_text(m.trace));
    BOOST_TEST(m.verdict.rule == "Backtracking");
    BOOST_TEST(trace_has(m.trace, "fails closed"), trace_text(m.trace));
    // A short subject finishes within the limit: a known answer.
    BOOST_TEST(s.message({{"Subject", "aab"}}).verdict.code == 250);
    BOOST_TEST(s.message({{"Subject", "aaa"}}).verdict.code == 550);
}

BOOST_FIXTURE_TEST_CASE(list_error_in_a_condition_fails_closed, Fixture) {
    dir.write("rules/vips.txt", "boss@far.example\n");
    load(R"(
[[transport_rule]]
name = "VIP"
if = { from = ["file:vips.txt"] }
then = { add_header = { X-VIP = "yes" } }
)");
    auto s = session();
    auto broken = std::make_shared<Ruleset>(*rules);
    (*broken->transport_rules[0].if_.from)[0].list.reset();
    s.rules = broken;
    BOOST_TEST(reply(s.message().verdict) == "451 4.3.0 Temporary policy failure");
}

BOOST_AUTO_TEST_CASE(message_without_mail_context_fails_closed) {
    TempDir dir("engine-message-ctx");
    auto rules = load_ok(dir, base_rules);
    auto m = evaluate_message(*rules, SessionFacts{}, MailContext{}, {}, HeaderFacts{}, 10);
    BOOST_TEST(reply(m.verdict) == "451 4.3.0 Temporary policy failure");
}
