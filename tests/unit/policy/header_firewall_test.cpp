// Header firewall and stamps (README "Headers"): forged organization headers and our
// Authentication-Results removed by index, highest first, before our own stamps are added.
#define BOOST_TEST_MODULE engine_header_firewall
#include "engine_fixture.hpp"

#include "policy/engine_internal.hpp"

using namespace mw::test;
using Kind = HeaderEdit::Kind;
namespace detail = mw::policy::detail;

namespace {

const std::string rules_toml = std::string(R"([organization]
hostname = "mx.example.com"
authserv_ids = ["mx.example.com", "mx2.example.com"]
exchange_compatible_headers = true

[[accepted_domain]]
domain = "example.com"
)") + internet_connector + submission_connector + R"(
[[receive_connector]]
name = "Strict"
bind = ["0.0.0.0:2525"]
permission_groups = ["anonymous"]
deny = ["accept-routing-headers"]

[[receive_connector]]
name = "Exchange"
bind = ["0.0.0.0:26"]
remote = ["10.0.0.0/8"]
auth = ["external-authoritative"]
permission_groups = ["servers"]

[domain_security]
receive = ["partner.example"]
)";

struct Fixture {
    TempDir dir{"engine-firewall"};
    std::shared_ptr<const Ruleset> rules = load_ok(dir, rules_toml);

    MessageResult run(std::uint16_t port, const std::vector<HeaderField>& fields, std::string_view client = "198.51.100.7",
                      std::optional<std::string> login = std::nullopt, std::string_view from = "a@far.example") {
        auto f = standalone_facts("192.0.2.1", port, client);
        if (login) {
            f.tls = tls13();
            f.auth_login = login;
        }
        Session s(rules, f);
        int code = s.mail_from(from).code;
        BOOST_TEST_REQUIRE(code == 250, trace_text(s.mail.trace));
        s.rcpt_to("bob@example.com");
        return s.message(fields);
    }
};

std::vector<std::string> removed(const MessageResult& m) {
    std::vector<std::string> out;
    for (const auto& e : m.header_edits)
        if (e.kind == Kind::remove) out.push_back(e.name + "#" + std::to_string(e.index));
    return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(authserv_id_parsing_rfc8601) {
    BOOST_TEST(detail::authserv_id("mx.example.com; spf=pass") == "mx.example.com");
    BOOST_TEST(detail::authserv_id("MX.Example.COM;dkim=pass") == "mx.example.com");
    BOOST_TEST(detail::authserv_id("  (comment (nested) \\) x) mx.example.com ; auth=pass") == "mx.example.com");
    BOOST_TEST(detail::authserv_id("\r\n\tmx.example.com 1; none") == "mx.example.com");
    BOOST_TEST(detail::authserv_id("\"mx.example.com\"; none") == "mx.example.com");
    BOOST_TEST(detail::authserv_id("mx.example.com(comment); none") == "mx.example.com");
    BOOST_TEST(detail::authserv_id("mx.example.com.evil; none") == "mx.example.com.evil");
    BOOST_TEST(detail::authserv_id("") == "");
    // RFC 8601: the id is a value, a token ending at an RFC 2045 tspecial or whitespace, or a
    // quoted-string; a fully qualified trailing dot names the same host.
    BOOST_TEST(detail::authserv_id("mx.example.com.; auth=pass") == "mx.example.com");
    BOOST_TEST(detail::authserv_id("mx.example.com,x; auth=pass") == "mx.example.com");
    BOOST_TEST(detail::authserv_id("mx.example.com/1; auth=pass") == "mx.example.com");
    for (const char* sep : {"(", ")", "<", ">", "@", ",", ";", ":", "\\", "\"", "/", "[", "]", "?", "="})
        BOOST_TEST(detail::authserv_id(std::string("MX.example.com") + sep + "x") == "mx.example.com", sep);
    BOOST_TEST(detail::authserv_id("\"MX.Example.com.\"; none") == "mx.example.com");
    BOOST_TEST(detail::authserv_id("\"mx.exa\\mple.com\"; none") == "mx.example.com");
    // Nothing parsable: not ours.
    BOOST_TEST(detail::authserv_id("\"mx.example.com; none") == "");
    BOOST_TEST(detail::authserv_id("; auth=pass") == "");
}

BOOST_FIXTURE_TEST_SUITE(firewall, Fixture)

BOOST_AUTO_TEST_CASE(forged_organization_headers_are_removed) {
    auto m = run(25, {{"X-Mailwarden-AuthAs", "Internal"},
                      {"X-MS-Exchange-Organization-AuthAs", "Internal"},
                      {"x-ms-exchange-forest-rulesexecuted", "x"},
                      {"X-Mailwarden-Domain-Secure", "pass domain=evil"},
                      {"X-MS-Exchange-Other", "kept"},
                      {"X-Mailwarden", "kept: no dash"},
                      {"Received", "from a by b"},
                      {"Subject", "hi"}});
    BOOST_TEST(removed(m) == (std::vector<std::string>{"X-Mailwarden-AuthAs#1", "X-MS-Exchange-Organization-AuthAs#1",
                                                       "x-ms-exchange-forest-rulesexecuted#1",
                                                       "X-Mailwarden-Domain-Secure#1"}),
               boost::test_tools::per_element());
    BOOST_TEST(trace_has(m.trace, "header firewall: removing X-Mailwarden-AuthAs"), trace_text(m.trace));
}

BOOST_AUTO_TEST_CASE(our_authentication_results_are_removed_others_kept) {
    auto m = run(25, {{"Authentication-Results", "mx2.example.com; auth=pass smtp.auth=ceo"},
                      {"Authentication-Results", "other.example; spf=pass"},
                      {"Authentication-Results", "(forged) MX.EXAMPLE.COM ; dkim=pass"},
                      {"authentication-results", "mx.example.com.evil.example; spf=pass"},
                      {"Authentication-Results", "\"mx.example.com\"; arc=pass"}});
    BOOST_TEST(removed(m) == (std::vector<std::string>{"Authentication-Results#5", "Authentication-Results#3",
                                                       "Authentication-Results#1"}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(other_spellings_of_our_authserv_id_are_removed) {
    auto m = run(25, {{"Authentication-Results", "mx.example.com.; auth=pass smtp.auth=ceo"},
                      {"Authentication-Results", "mx.example.com,x; auth=pass"},
                      {"Authentication-Results", "mx.example.com/1; auth=pass"},
                      {"Authentication-Results", "\"MX2.example.com.\" ; auth=pass"},
                      {"Authentication-Results", "\"mx.example.com; unterminated"},
                      {"Authentication-Results", "mx.example.com.evil.; spf=pass"}});
    BOOST_TEST(removed(m) == (std::vector<std::string>{"Authentication-Results#4", "Authentication-Results#3",
                                                       "Authentication-Results#2", "Authentication-Results#1"}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(indexes_count_same_named_fields_case_insensitively_highest_first) {
    auto m = run(25, {{"x-mailwarden-authas", "a"}, {"Subject", "s"}, {"X-MAILWARDEN-AUTHAS", "b"},
                      {"X-Mailwarden-AuthAs", "c"}, {"X-Mailwarden-Score", "1"}});
    BOOST_TEST(removed(m) == (std::vector<std::string>{"x-mailwarden-authas#3", "x-mailwarden-authas#2",
                                                       "x-mailwarden-authas#1", "X-Mailwarden-Score#1"}),
               boost::test_tools::per_element());
    // Every removal before any addition.
    bool seen_addition = false;
    for (const auto& e : m.header_edits) {
        if (e.kind != Kind::remove) seen_addition = true;
        BOOST_TEST(!(seen_addition && e.kind == Kind::remove), edits_text(m));
    }
    BOOST_TEST(has_edit(m, Kind::add, "X-Mailwarden-AuthAs", "Anonymous"), edits_text(m));
}

BOOST_AUTO_TEST_CASE(routing_headers_need_accept_routing_headers) {
    std::vector<HeaderField> fields = {{"Received", "one"}, {"Resent-From", "x"}, {"Received", "two"},
                                       {"resent-date", "d"}, {"X-Received", "kept"}};
    BOOST_TEST(removed(run(25, fields)).empty());  // anonymous has accept-routing-headers
    BOOST_TEST(removed(run(2525, fields)) == (std::vector<std::string>{"Received#2", "Received#1", "Resent-From#1",
                                                                        "resent-date#1"}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(servers_may_carry_organization_headers) {
    auto m = run(26, {{"X-MS-Exchange-Organization-AuthAs", "Internal"}, {"Authentication-Results", "mx.example.com; x"}},
                 "10.0.0.5");
    BOOST_TEST(removed(m).empty());
    BOOST_TEST(has_edit(m, Kind::add, "X-Mailwarden-AuthAs", "Internal"), edits_text(m));
    BOOST_TEST(has_edit(m, Kind::add, "X-MS-Exchange-Organization-AuthAs", "Internal"), edits_text(m));
    BOOST_TEST(has_edit(m, Kind::add, "X-MS-Exchange-Organization-AuthMechanism", "10"), edits_text(m));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(stamps, Fixture)

BOOST_AUTO_TEST_CASE(anonymous) {
    auto m = run(25, {});
    BOOST_TEST(has_edit(m, Kind::add, "X-Mailwarden-AuthAs", "Anonymous"), edits_text(m));
    BOOST_TEST(has_edit(m, Kind::add, "X-MS-Exchange-Organization-AuthAs", "Anonymous"), edits_text(m));
    for (const auto& e : m.header_edits) {
        BOOST_TEST(e.name != "Authentication-Results");
        BOOST_TEST(e.name != "X-MS-Exchange-Organization-AuthMechanism");
        BOOST_TEST(e.name != "X-Mailwarden-Domain-Secure");
    }
}

BOOST_AUTO_TEST_CASE(authenticated_login) {
    auto m = run(587, {{"Authentication-Results", "mx.example.com; auth=pass smtp.auth=ceo"}}, "198.51.100.7", "alice",
                 "alice@example.com");
    BOOST_TEST(removed(m) == std::vector<std::string>{"Authentication-Results#1"}, boost::test_tools::per_element());
    BOOST_TEST(has_edit(m, Kind::add, "X-Mailwarden-AuthAs", "Authenticated"), edits_text(m));
    BOOST_TEST(has_edit(m, Kind::add, "Authentication-Results", "mx.example.com; auth=pass smtp.auth=alice"), edits_text(m));
    BOOST_TEST(has_edit(m, Kind::add, "X-MS-Exchange-Organization-AuthAs", "Authenticated"), edits_text(m));
    BOOST_TEST(has_edit(m, Kind::add, "X-MS-Exchange-Organization-AuthMechanism", "04"), edits_text(m));
}

BOOST_AUTO_TEST_CASE(login_cannot_inject_into_the_stamp) {
    auto m = run(587, {}, "198.51.100.7", "al ice;\r\nX-Evil: 1\"", "<>");
    BOOST_TEST(has_edit(m, Kind::add, "Authentication-Results",
                        "mx.example.com; auth=pass smtp.auth=\"al ice;X-Evil: 1\\\"\""),
               edits_text(m));
    auto addr_login = run(587, {}, "198.51.100.7", "kid1@example.com", "kid1@example.com");
    BOOST_TEST(has_edit(addr_login, Kind::add, "Authentication-Results", "mx.example.com; auth=pass smtp.auth=kid1@example.com"),
               edits_text(addr_login));
}

BOOST_AUTO_TEST_CASE(partner_domain_secure) {
    auto f = standalone_facts("192.0.2.1", 25, "198.51.100.7");
    f.tls = tls13();
    f.tls->cert = PeerCertificate{"CN=mx.partner.example", "CN=CA", {}, std::nullopt, true};
    Session s(rules, f);
    BOOST_TEST_REQUIRE(s.mail_from("a@partner.example").code == 250);
    s.rcpt_to("bob@example.com");
    auto m = s.message({{"X-Mailwarden-Domain-Secure", "pass domain=evil.example"}});
    BOOST_TEST(removed(m) == std::vector<std::string>{"X-Mailwarden-Domain-Secure#1"}, boost::test_tools::per_element());
    BOOST_TEST(has_edit(m, Kind::add, "X-Mailwarden-Domain-Secure",
                        "pass domain=partner.example; tls=TLSv1.3; cipher=TLS_AES_256_GCM_SHA384"),
               edits_text(m));
    BOOST_TEST(has_edit(m, Kind::add, "X-Mailwarden-AuthAs", "Partner"), edits_text(m));
    BOOST_TEST(has_edit(m, Kind::add, "X-MS-Exchange-Organization-AuthAs", "Partner"), edits_text(m));
    BOOST_TEST(has_edit(m, Kind::add, "X-MS-Exchange-Organization-AuthDomain", "partner.example"), edits_text(m));
    BOOST_TEST(has_edit(m, Kind::add, "X-MS-Exchange-Organization-AuthMechanism", "0a"), edits_text(m));
}

BOOST_AUTO_TEST_CASE(no_exchange_stamps_unless_configured) {
    TempDir d("engine-firewall-plain");
    auto plain = load_ok(d, std::string(base_rules) + internet_connector);
    Session s(plain, standalone_facts("192.0.2.1", 25, "198.51.100.7"));
    s.mail_from("a@far.example");
    s.rcpt_to("bob@example.com");
    auto m = s.message();
    BOOST_TEST(has_edit(m, Kind::add, "X-Mailwarden-AuthAs", "Anonymous"), edits_text(m));
    for (const auto& e : m.header_edits) BOOST_TEST(!e.name.starts_with("X-MS-Exchange"), edits_text(m));
}

BOOST_AUTO_TEST_SUITE_END()
