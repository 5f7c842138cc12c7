// End-to-end: the real `mailwarden explain` binary on the shipped rules and on a richer test rule
// set (tests/data/rich), asserting the JSON contract of README "mailwarden explain" and byte-exact replies.
#define BOOST_TEST_MODULE explain
#include <boost/test/unit_test.hpp>

#include <algorithm>

#include "json_value.hpp"
#include "test_support.hpp"

using mw::test::Json;
using mw::test::run_mailwarden;
using mw::test::TempDir;

namespace {

const std::string shipped_rules = std::string(MW_SOURCE_DIR) + "/rules";
const std::string rich_rules = std::string(MW_TEST_DATA) + "/rich";

struct Fixture {
    TempDir state{"explain"};

    Json explain(const std::string& rules, std::vector<std::string> args) {
        std::vector<std::string> all = {"explain", "--rules", rules, "--state-dir", state.path().string(), "--json"};
        all.insert(all.end(), args.begin(), args.end());
        auto r = run_mailwarden(all);
        BOOST_TEST_REQUIRE(r.status == 0, "explain exited " << r.status << ": " << r.err);
        try {
            return Json::parse(r.out);
        } catch (const std::exception& e) {
            BOOST_FAIL("explain printed invalid JSON (" << e.what() << "):\n" << r.out);
            throw;
        }
    }
    Json rich(std::vector<std::string> args) { return explain(rich_rules, std::move(args)); }
    Json shipped(std::vector<std::string> args) { return explain(shipped_rules, std::move(args)); }
};

std::string reply(const Json& v) {
    return std::to_string(static_cast<int>(v["code"].num())) + " " + v["status"].str() + " " + v["text"].str();
}

bool has_string(const Json& array, const std::string& s) {
    for (const auto& item : array.arr())
        if (item.str() == s) return true;
    return false;
}

bool header_added(const Json& message, const std::string& name, const std::string& value) {
    for (const auto& h : message["headers_added"].arr())
        if (h["name"].str() == name && h["value"].str() == value) return true;
    return false;
}

const std::vector<std::string> internet = {"--local", "127.0.0.1:25", "--client", "192.0.2.7"};
std::vector<std::string> with(std::vector<std::string> base, const std::vector<std::string>& more) {
    base.insert(base.end(), more.begin(), more.end());
    return base;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(shipped, Fixture)

BOOST_AUTO_TEST_CASE(relay_is_denied_and_local_mailbox_accepted) {
    auto j = shipped({"--local", "127.0.0.1:2525", "--client", "127.0.0.1", "--from", "someone@elsewhere.example",
                      "--to", "bob@example.com", "victim@other.example"});
    BOOST_TEST(j["connector"].str() == "Internet");
    BOOST_TEST(j["groups"].strings() == std::vector<std::string>{"anonymous"});
    BOOST_TEST(j["rights"].strings() ==
               (std::vector<std::string>{"submit", "accept-any-sender", "accept-routing-headers"}));
    BOOST_TEST(reply(j["mail"]) == "250 2.1.0 Ok");
    BOOST_TEST(j["mail"]["rule"].is_null());
    BOOST_TEST(j["recipients"][0]["action"].str() == "accept");
    BOOST_TEST(j["recipients"][0]["route"].is_null());  // delivered here
    BOOST_TEST(reply(j["recipients"][1]) == "554 5.7.1 <victim@other.example>: Relay access denied");
    BOOST_TEST(j["recipients"][1]["action"].str() == "reject");
    BOOST_TEST(!j["message"].is_null());
    BOOST_TEST(header_added(j["message"], "X-Mailwarden-AuthAs", "Anonymous"));
    BOOST_TEST(!j["trace"].arr().empty());
}

BOOST_AUTO_TEST_CASE(anonymous_cannot_use_our_domain) {
    auto j = shipped({"--local", "127.0.0.1:2525", "--client", "127.0.0.1", "--from", "ceo@example.com", "--to",
                      "bob@example.com"});
    BOOST_TEST(reply(j["mail"]) == "550 5.7.1 <ceo@example.com>: Not authorized to send as this sender");
    BOOST_TEST(j["recipients"].is_null());  // RCPT never reached
    BOOST_TEST(j["message"].is_null());
}

BOOST_AUTO_TEST_CASE(student_restricted_outside_but_not_inside) {
    auto j = shipped({"--local", "127.0.0.1:2587", "--client", "127.0.0.1", "--tls", "TLSv1.3", "--auth",
                      "kid1@example.com", "--from", "kid1@example.com", "--to", "friend@gmail.example",
                      "alice@example.com"});
    BOOST_TEST(j["connector"].str() == "Client");
    BOOST_TEST(has_string(j["groups"], "users"));
    BOOST_TEST(reply(j["recipients"][0]) == "550 5.7.1 Students may not send mail outside the school");
    BOOST_TEST(j["recipients"][0]["rule"].str() == "Students may not send to the Internet");
    BOOST_TEST(j["recipients"][1]["action"].str() == "accept");
}

// The one login `./scripts/run` creates: a bare name is alice@example.com ([organization]
// login_domain defaults to the first authoritative domain), not a student by way of
// alice@students.example.com, and the trace says which address she owns.
BOOST_AUTO_TEST_CASE(bare_login_owns_its_address_at_the_login_domain) {
    std::vector<std::string> alice = {"--local", "127.0.0.1:2587", "--client", "127.0.0.1", "--tls", "TLSv1.3",
                                      "--auth", "alice"};
    auto j = shipped(with(alice, {"--from", "alice@example.com", "--to", "friend@gmail.example"}));
    BOOST_TEST(reply(j["mail"]) == "250 2.1.0 Ok");
    BOOST_TEST(reply(j["recipients"][0]) == "250 2.1.5 Ok");
    BOOST_TEST(has_string(j["trace"], "login alice owns <alice@example.com> (login_domain example.com) and its "
                                      "send_as addresses"));
    for (std::string sender : {"alice@students.example.com", "alice@branch.example.com"}) {
        auto other = shipped(with(alice, {"--from", sender, "--to", "friend@gmail.example"}));
        BOOST_TEST(reply(other["mail"]) ==
                   "553 5.7.1 <" + sender + ">: Sender address rejected: not owned by user alice");
    }
    auto bounce = shipped(with(alice, {"--from", "<>", "--to", "friend@gmail.example"}));
    BOOST_TEST(reply(bounce["recipients"][0]) == "250 2.1.5 Ok");
    BOOST_TEST(has_string(bounce["trace"], "null sender <>: no ownership to check; sender patterns judge it as "
                                           "<alice@example.com>"));
}

BOOST_AUTO_TEST_CASE(encoded_headers_do_not_escape_transport_rules) {
    auto subject = shipped({"--local", "127.0.0.1:2525", "--client", "127.0.0.1", "--from", "a@vendor.example",
                            "--to", "alice@example.com", "--header", "Subject: =?utf-8?B?WW91ciBJbnZvaWNl?="});
    BOOST_TEST(subject["message"]["subject_prefix"].str() == "[EXTERNAL] ");
    auto attachment = shipped({"--local", "127.0.0.1:2525", "--client", "127.0.0.1", "--from", "a@vendor.example",
                               "--to", "alice@example.com", "--header",
                               "Content-Type: application/octet-stream; name*=utf-8''evil%2Eexe"});
    BOOST_TEST(reply(attachment["message"]) == "550 5.7.1 Executable attachments are not accepted");
}

BOOST_AUTO_TEST_CASE(unknown_user_in_listed_domain) {
    auto j = shipped({"--local", "127.0.0.1:2525", "--client", "127.0.0.1", "--from", "a@elsewhere.example", "--to",
                      "nobody@example.com"});
    BOOST_TEST(reply(j["recipients"][0]) == "550 5.1.1 <nobody@example.com>: User unknown");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(rich, Fixture)

BOOST_AUTO_TEST_CASE(longest_remote_prefix_selects_the_connector) {
    BOOST_TEST(rich(with(internet, {"--from", "a@b.example", "--to", "bob@corp.test"}))["connector"].str() ==
               "Internet");
    BOOST_TEST(rich({"--local", "127.0.0.1:25", "--client", "127.0.0.9", "--from", "app@corp.test", "--to",
                     "bob@corp.test"})["connector"].str() == "Apps");
    auto exchange = rich({"--local", "127.0.0.1:25", "--client", "127.0.0.5", "--from", "x@anywhere.example",
                          "--to", "y@elsewhere.example"});
    BOOST_TEST(exchange["connector"].str() == "Exchange");
    BOOST_TEST(exchange["groups"].strings() == std::vector<std::string>{"servers"});
    BOOST_TEST(exchange["rights"].arr().size() == 8u);  // every right, etrn included
    BOOST_TEST(exchange["recipients"][0]["action"].str() == "accept");
    BOOST_TEST(header_added(exchange["message"], "X-Mailwarden-AuthAs", "Internal"));
}

BOOST_AUTO_TEST_CASE(grant_and_deny_on_a_connector) {
    // Apps: relay granted, any-sender denied, own domains granted.
    auto ok = rich({"--local", "127.0.0.1:25", "--client", "127.0.0.9", "--from", "app@corp.test", "--to",
                    "someone@far.example"});
    BOOST_TEST(reply(ok["mail"]) == "250 2.1.0 Ok");
    BOOST_TEST(ok["recipients"][0]["action"].str() == "accept");
    BOOST_TEST(!has_string(ok["rights"], "accept-any-sender"));
    auto foreign = rich({"--local", "127.0.0.1:25", "--client", "127.0.0.9", "--from", "app@far.example", "--to",
                         "bob@corp.test"});
    BOOST_TEST(reply(foreign["mail"]) == "550 5.7.1 <app@far.example>: Not authorized to send as this sender");
}

BOOST_AUTO_TEST_CASE(submission_needs_tls_then_authentication_then_ownership) {
    std::vector<std::string> sub = {"--local", "127.0.0.1:587", "--client", "192.0.2.9"};
    BOOST_TEST(reply(rich(with(sub, {"--from", "alice@corp.test", "--to", "bob@corp.test"}))["mail"]) ==
               "530 5.7.0 Must issue a STARTTLS command first");
    BOOST_TEST(reply(rich(with(sub, {"--tls", "TLSv1.3", "--from", "alice@corp.test", "--to", "bob@corp.test"}))["mail"]) ==
               "530 5.7.0 Authentication required");
    auto spoof = rich(with(sub, {"--tls", "TLSv1.3", "--auth", "alice", "--from", "bob@corp.test", "--to", "x@y.example"}));
    BOOST_TEST(reply(spoof["mail"]) == "553 5.7.1 <bob@corp.test>: Sender address rejected: not owned by user alice");
    auto send_as = rich(with(sub, {"--tls", "TLSv1.3", "--auth", "alice", "--from", "sales@corp.test", "--to", "x@y.example"}));
    BOOST_TEST(reply(send_as["mail"]) == "250 2.1.0 Ok");
    auto own = rich(with(sub, {"--tls", "TLSv1.3", "--auth", "alice", "--from", "Alice@Corp.Test.", "--to", "x@y.example"}));
    BOOST_TEST(reply(own["mail"]) == "250 2.1.0 Ok");
    BOOST_TEST(header_added(own["message"], "Authentication-Results", "mx.corp.test; auth=pass smtp.auth=alice"));
    BOOST_TEST(header_added(own["message"], "X-Mailwarden-AuthAs", "Authenticated"));
}

BOOST_AUTO_TEST_CASE(recipient_limit_and_size) {
    std::vector<std::string> sub = {"--local", "127.0.0.1:587", "--client", "192.0.2.9", "--tls", "TLSv1.3",
                                    "--auth", "bob", "--from", "bob@corp.test"};
    auto j = rich(with(sub, {"--to", "a@x.example", "b@x.example", "c@x.example", "d@x.example"}));
    BOOST_TEST(j["recipients"][2]["action"].str() == "accept");
    BOOST_TEST(reply(j["recipients"][3]) == "452 4.5.3 Too many recipients");
    BOOST_TEST(j["recipients"][3]["action"].str() == "tempfail");
    auto big = rich(with(sub, {"--size-param", "2000000", "--to", "a@x.example"}));
    BOOST_TEST(reply(big["mail"]) == "552 5.3.4 Message size exceeds fixed maximum message size");
}

BOOST_AUTO_TEST_CASE(restrictions_with_allow_exception_and_route) {
    std::vector<std::string> sub = {"--local", "127.0.0.1:587", "--client", "192.0.2.9", "--tls", "TLSv1.3",
                                    "--auth", "intern1", "--from", "intern1@corp.test"};
    auto j = rich(with(sub, {"--to", "out@far.example", "p@partner.test"}));
    BOOST_TEST(reply(j["recipients"][0]) == "550 5.7.1 <out@far.example>: Delivery not authorized");
    BOOST_TEST(j["recipients"][0]["rule"].str() == "Interns stay inside");
    BOOST_TEST(j["recipients"][1]["action"].str() == "accept");
    const Json& route = j["recipients"][1]["route"];
    BOOST_TEST(route["send_connector"].str() == "Partners");
    BOOST_TEST(route["nexthop"].str() == "[127.0.0.40]:25");
    BOOST_TEST(route["tls_policy"].str().rfind("secure", 0) == 0u);
    // The same policy as typed values, beside Postfix's form.
    BOOST_TEST(route["tls"]["level"].str() == "secure");
    BOOST_TEST(route["tls"]["names"].arr().size() == 2u);
    BOOST_TEST(route["tls"]["names"][0].str() == "partner.test");
    BOOST_TEST(route["tls"]["names"][1].str() == ".partner.test");
    BOOST_TEST(route["tls_policy"].str() == "secure match=partner.test:.partner.test");
    BOOST_TEST(route["tls"]["client_certificate"].boolean());
}

BOOST_AUTO_TEST_CASE(send_connector_cost_and_specificity) {
    std::vector<std::string> sub = {"--local", "127.0.0.1:587", "--client", "192.0.2.9", "--tls", "TLSv1.3",
                                    "--auth", "bob", "--from", "bob@corp.test"};
    auto j = rich(with(sub, {"--to", "a@shop.example", "b@bank.test", "c@relay.test"}));
    BOOST_TEST(j["recipients"][0]["route"]["send_connector"].str() == "Cheap");
    BOOST_TEST(j["recipients"][0]["route"]["nexthop"].str() == "shop.example");
    BOOST_TEST(j["recipients"][1]["route"]["send_connector"].str() == "Internet");
    BOOST_TEST(j["recipients"][1]["route"]["tls_policy"].str() == "encrypt");  // tls_required bank.test
    BOOST_TEST(j["recipients"][2]["route"]["send_connector"].str() == "Relay");
    BOOST_TEST(j["recipients"][2]["route"]["nexthop"].str() == "[127.0.0.41]:2525");
}

BOOST_AUTO_TEST_CASE(recipient_policy_requires_staff_and_authentication) {
    auto anon = rich(with(internet, {"--from", "x@far.example", "--to", "board@corp.test"}));
    BOOST_TEST(reply(anon["recipients"][0]) == "550 5.7.1 <board@corp.test>: Delivery not authorized");
    auto staff = rich({"--local", "127.0.0.1:587", "--client", "192.0.2.9", "--tls", "TLSv1.3", "--auth", "bob",
                       "--from", "bob@corp.test", "--to", "board@corp.test"});
    BOOST_TEST(staff["recipients"][0]["action"].str() == "accept");
}

BOOST_AUTO_TEST_CASE(domain_security_partner_and_failures) {
    auto partner = rich(with(internet, {"--tls", "TLSv1.3", "--cipher", "TLS_AES_256_GCM_SHA384", "--cert-subject",
                                        "CN=mail.partner.test", "--cert-verified", "--from", "a@partner.test", "--to",
                                        "bob@corp.test", "--header", "X-Mailwarden-Domain-Secure: pass domain=evil"}));
    BOOST_TEST(has_string(partner["groups"], "partners"));
    BOOST_TEST(reply(partner["mail"]) == "250 2.1.0 Ok");
    const Json& m = partner["message"];
    BOOST_TEST(header_added(m, "X-Mailwarden-Domain-Secure",
                            "pass domain=partner.test; tls=TLSv1.3; cipher=TLS_AES_256_GCM_SHA384"));
    BOOST_TEST(header_added(m, "X-Mailwarden-AuthAs", "Partner"));
    BOOST_TEST(header_added(m, "X-MS-Exchange-Organization-AuthAs", "Partner"));
    BOOST_TEST(header_added(m, "X-Partner", "verified"));
    BOOST_TEST(has_string(m["headers_removed"], "X-Mailwarden-Domain-Secure"));

    auto no_cert = rich(with(internet, {"--tls", "TLSv1.3", "--from", "a@partner.test", "--to", "bob@corp.test"}));
    BOOST_TEST(reply(no_cert["mail"]) == "454 4.7.5 <a@partner.test>: Certificate validation failure for partner.test");
    auto unverified = rich(with(internet, {"--tls", "TLSv1.3", "--cert-subject", "CN=mail.partner.test", "--from",
                                           "a@partner.test", "--to", "bob@corp.test"}));
    BOOST_TEST(unverified["mail"]["code"].num() == 454);
    auto wrong_name = rich(with(internet, {"--tls", "TLSv1.3", "--cert-subject", "CN=mail.other.test",
                                           "--cert-verified", "--from", "a@partner.test", "--to", "bob@corp.test"}));
    BOOST_TEST(wrong_name["mail"]["code"].num() == 454);
    auto no_tls = rich(with(internet, {"--from", "a@bank.test", "--to", "bob@corp.test"}));
    BOOST_TEST(reply(no_tls["mail"]) == "530 5.7.0 Must issue a STARTTLS command first");
}

BOOST_AUTO_TEST_CASE(direct_trust_pin_at_rcpt_in_postfix_mode) {
    std::string pin = "ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789";
    auto good = rich({"--daemon-name", "smtpd-in", "--mta", "postfix", "--client", "192.0.2.7", "--tls", "TLSv1.3",
                      "--cert-sha256", pin, "--from", "a@pinned.test", "--to", "bob@corp.test"});
    BOOST_TEST(reply(good["mail"]) == "250 2.1.0 Ok");
    BOOST_TEST(good["recipients"][0]["action"].str() == "accept");
    BOOST_TEST(has_string(good["groups"], "partners"));
    auto bad = rich({"--daemon-name", "smtpd-in", "--mta", "postfix", "--client", "192.0.2.7", "--tls", "TLSv1.3",
                     "--cert-sha256", std::string(64, '0'), "--from", "a@pinned.test", "--to", "bob@corp.test"});
    BOOST_TEST(reply(bad["recipients"][0]) == "454 4.7.5 <a@pinned.test>: Certificate validation failure for pinned.test");
}

BOOST_AUTO_TEST_CASE(milter_mode_without_a_connector_answers_at_mail) {
    auto j = rich({"--daemon-name", "nonesuch", "--client", "192.0.2.7", "--from", "a@b.example", "--to",
                   "bob@corp.test"});
    BOOST_TEST(j["connector"].is_null());
    BOOST_TEST(reply(j["mail"]) == "451 4.3.5 No receive connector for this service");
    BOOST_TEST(reply(j["connect"]) == "451 4.3.5 No receive connector for this service");
}

BOOST_AUTO_TEST_CASE(standalone_client_outside_every_range_is_refused_at_connect) {
    // The Exchange connector only takes 127.0.0.5: anyone else named onto it is refused at connect.
    auto j = rich({"--client", "192.0.2.9", "--connector", "Exchange", "--from", "a@b.example", "--to",
                   "bob@corp.test"});
    BOOST_TEST(reply(j["connect"]) == "554 5.7.1 Access denied");
    BOOST_TEST(j["mail"].is_null());
    BOOST_TEST(j["recipients"].is_null());
    // Standalone: a port no connector binds is refused the same way.
    auto unbound = rich({"--local", "127.0.0.1:2600", "--client", "192.0.2.9", "--from", "a@b.example", "--to",
                         "bob@corp.test"});
    BOOST_TEST(reply(unbound["connect"]) == "554 5.7.1 Access denied");
    BOOST_TEST(unbound["connector"].is_null());
}

BOOST_AUTO_TEST_CASE(transport_rules_bcc_redirect_quarantine_reject) {
    auto legal = rich(with(internet, {"--from", "a@far.example", "--to", "legal@corp.test"}));
    BOOST_TEST(has_string(legal["message"]["recipients_added"], "archive@corp.test"));
    auto gone = rich(with(internet, {"--from", "a@far.example", "--to", "gone@corp.test"}));
    BOOST_TEST(has_string(gone["message"]["recipients_added"], "manager@corp.test"));
    BOOST_TEST(has_string(gone["message"]["recipients_removed"], "gone@corp.test"));
    auto spam = rich(with(internet, {"--from", "a@far.example", "--to", "bob@corp.test", "--header", "X-Spam-Flag: YES"}));
    BOOST_TEST(spam["message"]["action"].str() == "quarantine");
    BOOST_TEST(spam["message"]["rule"].str() == "Quarantine flagged spam");
    auto big = rich(with(internet, {"--from", "a@far.example", "--to", "bob@corp.test", "--size", "600000"}));
    BOOST_TEST(reply(big["message"]) == "550 5.3.4 Message too large for external senders");
    BOOST_TEST(big["message"]["rule"].str() == "Large from outside");
}

BOOST_AUTO_TEST_CASE(header_firewall_removes_forged_stamps_highest_index_first) {
    auto j = rich(with(internet, {"--from", "a@far.example", "--to", "bob@corp.test",
                                  "--header", "Authentication-Results: mx2.corp.test; auth=pass smtp.auth=ceo",
                                  "--header", "Authentication-Results: other.example; spf=pass",
                                  "--header", "X-MS-Exchange-Organization-AuthAs: Internal",
                                  "--header", "Authentication-Results: (comment) MX.CORP.TEST ; dkim=pass"}));
    // Ours (mx2 is a sibling MX, MX.CORP.TEST after a comment) go; other.example's stays. Same-named
    // copies are deleted highest index first, since Postfix renumbers after each deletion.
    const auto& removals = j["message"]["header_removals"].arr();
    BOOST_TEST_REQUIRE(removals.size() == 3u);
    std::vector<std::pair<std::string, int>> got;
    for (const auto& r : removals) got.emplace_back(r["name"].str(), static_cast<int>(r["index"].num()));
    std::stable_sort(got.begin(), got.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    BOOST_TEST((got[0] == std::pair<std::string, int>{"Authentication-Results", 3}));
    BOOST_TEST((got[1] == std::pair<std::string, int>{"Authentication-Results", 1}));
    BOOST_TEST((got[2] == std::pair<std::string, int>{"X-MS-Exchange-Organization-AuthAs", 1}));
    BOOST_TEST(j["message"]["headers_removed"].strings().size() == 3u);
}

BOOST_AUTO_TEST_CASE(malformed_addresses_get_a_reply_not_a_crash) {
    auto j = rich(with(internet, {"--from", "a@b.example", "--to", "bad@@x", "bob@corp.test"}));
    BOOST_TEST(j["recipients"][0]["code"].num() == 501);
    BOOST_TEST(j["recipients"][0]["status"].str() == "5.1.3");
    BOOST_TEST(j["recipients"][1]["action"].str() == "accept");
    auto s = rich(with(internet, {"--from", "no-at-sign", "--to", "bob@corp.test"}));
    BOOST_TEST(s["mail"]["code"].num() == 501);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(errors)

BOOST_AUTO_TEST_CASE(unknown_connector_and_malformed_flags_exit_2) {
    TempDir state("explain-errors");
    std::vector<std::string> base = {"explain", "--rules", rich_rules, "--state-dir", state.path().string()};
    auto unknown = run_mailwarden(with(base, {"--connector", "Nope", "--client", "192.0.2.1", "--from", "a@b.c",
                                              "--to", "d@e.f"}));
    BOOST_TEST(unknown.status == 2);
    BOOST_TEST(unknown.err.find("unknown receive connector 'Nope'") != std::string::npos);
    auto bad_ip = run_mailwarden(with(base, {"--local", "127.0.0.1:25", "--client", "300.1.1.1", "--from", "a@b.c",
                                             "--to", "d@e.f"}));
    BOOST_TEST(bad_ip.status == 2);
    BOOST_TEST(bad_ip.err.find("--client") != std::string::npos);
    auto bad_flag = run_mailwarden(with(base, {"--bogus"}));
    BOOST_TEST(bad_flag.status == 2);
    BOOST_TEST(bad_flag.err.find("--bogus") != std::string::npos);
    auto bad_size = run_mailwarden(with(base, {"--local", "127.0.0.1:25", "--client", "192.0.2.1", "--from", "a@b.c",
                                               "--to", "d@e.f", "--size", "12kb"}));
    BOOST_TEST(bad_size.status == 2);
    auto two = run_mailwarden(with(base, {"--local", "127.0.0.1:25", "--connector", "Internet", "--client",
                                          "192.0.2.1", "--from", "a@b.c", "--to", "d@e.f"}));
    BOOST_TEST(two.status == 2);
}

BOOST_AUTO_TEST_CASE(bad_rules_exit_2_for_explain_and_1_for_check) {
    TempDir dir("explain-bad");
    dir.write("rules/a.toml", "[organization]\nhostname = \"mx.test\"\nbogus = 1\n");
    std::string rules = (dir.path() / "rules").string(), state = (dir.path() / "state").string();
    auto e = run_mailwarden({"explain", "--rules", rules, "--state-dir", state, "--local", "127.0.0.1:25",
                             "--client", "192.0.2.1", "--from", "a@b.c", "--to", "d@e.f"});
    BOOST_TEST(e.status == 2);
    BOOST_TEST(e.err.find("a.toml:3:1: error: ") != std::string::npos);
    auto c = run_mailwarden({"check", "--rules", rules, "--state-dir", state});
    BOOST_TEST(c.status == 1);
    BOOST_TEST(c.err.find("a.toml:3:1: error: ") != std::string::npos);
    BOOST_TEST(c.out.empty());
}

BOOST_AUTO_TEST_CASE(check_accepts_the_shipped_rules) {
    TempDir state("check-ok");
    auto c = run_mailwarden({"check", "--rules", shipped_rules, "--state-dir", state.path().string()});
    BOOST_TEST(c.status == 0, c.err);
    BOOST_TEST(c.out.find(": OK: 6 files, 3 accepted domains, 3 receive connectors") != std::string::npos, c.out);
    // check shows the milter-mode warning; explain leaves warnings to check.
    BOOST_TEST(c.err.find("20-transport-security.toml:4:12: warning: domain security for 'partner.example'") !=
               std::string::npos, c.err);
    auto e = run_mailwarden({"explain", "--rules", shipped_rules, "--state-dir", state.path().string(), "--local",
                             "127.0.0.1:2525", "--client", "127.0.0.1", "--from", "a@b.example", "--to",
                             "bob@example.com"});
    BOOST_TEST(e.status == 0);
    BOOST_TEST(e.err.empty(), e.err);
}

BOOST_AUTO_TEST_SUITE_END()
