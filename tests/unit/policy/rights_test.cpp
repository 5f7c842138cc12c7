// Permission groups and rights (README "Receive connectors and permission groups"): Exchange defaults minus anonymous ADS, the connector's
// listed groups, grant and deny.
#define BOOST_TEST_MODULE engine_rights
#include "engine_fixture.hpp"

using namespace mw::test;

namespace {

Rights rights_of(std::initializer_list<Right> list) {
    Rights r = 0;
    for (auto x : list) r |= bit(x);
    return r;
}

struct Fixture {
    TempDir dir{"engine-rights"};

    MailResult mail(const std::string& connector_toml, const std::string& from, bool authenticated = false,
                    bool tls = false, std::string_view client = "192.0.2.7") {
        auto rules = load_ok(dir, std::string(base_rules) + connector_toml);
        SessionFacts f = standalone_facts("192.0.2.1", 25, client);
        if (authenticated) f.auth_login = "alice";
        if (tls) f.tls = tls13();
        auto connect = evaluate_connect(*rules, f);
        BOOST_TEST_REQUIRE(connect.verdict.continues(), trace_text(connect.trace));
        keep = rules;
        return evaluate_mail(*rules, f, connect, addr(from), std::nullopt);
    }
    std::shared_ptr<const Ruleset> keep;
};

std::string connector(const std::string& groups, const std::string& extra = "") {
    return "\n[[receive_connector]]\nname = \"C\"\nbind = [\"0.0.0.0:25\"]\npermission_groups = [" + groups + "]\n" +
           extra;
}

}  // namespace

BOOST_AUTO_TEST_CASE(exchange_defaults_with_the_one_deliberate_difference) {
    BOOST_TEST(default_rights(PermissionGroup::anonymous) ==
               rights_of({Right::submit, Right::accept_any_sender, Right::accept_routing_headers}));
    BOOST_TEST(!(default_rights(PermissionGroup::anonymous) & bit(Right::accept_authoritative_domain_sender)));
    BOOST_TEST(default_rights(PermissionGroup::users) == rights_of({Right::submit, Right::accept_any_recipient,
                                                                   Right::accept_routing_headers, Right::bypass_anti_spam}));
    BOOST_TEST(default_rights(PermissionGroup::partners) == rights_of({Right::submit, Right::accept_routing_headers}));
    BOOST_TEST(default_rights(PermissionGroup::servers) == all_rights);
}

BOOST_FIXTURE_TEST_SUITE(sessions, Fixture)

BOOST_AUTO_TEST_CASE(anonymous_session_gets_anonymous_rights) {
    auto m = mail(connector("\"anonymous\", \"users\""), "a@far.example");
    BOOST_TEST(m.context.groups == std::vector<PermissionGroup>{PermissionGroup::anonymous}, boost::test_tools::per_element());
    BOOST_TEST(m.context.rights == default_rights(PermissionGroup::anonymous));
    BOOST_TEST(!m.context.authenticated);
}

BOOST_AUTO_TEST_CASE(anonymous_lacks_accept_authoritative_domain_sender) {
    auto m = mail(connector("\"anonymous\""), "ceo@example.com");
    BOOST_TEST(reply(m.verdict) == "550 5.7.1 <ceo@example.com>: Not authorized to send as this sender");
    BOOST_TEST(m.verdict.rule == "connector C: no accept-authoritative-domain-sender");
    // A subdomain under a wildcard accepted domain is ours too.
    BOOST_TEST(mail(connector("\"anonymous\""), "x@sub.example.com").verdict.code == 550);
}

BOOST_AUTO_TEST_CASE(grant_restores_exchange_behaviour) {
    auto m = mail(connector("\"anonymous\"", "grant = [\"accept-authoritative-domain-sender\"]\n"), "ceo@example.com");
    BOOST_TEST(reply(m.verdict) == "250 2.1.0 Ok");
    BOOST_TEST((m.context.rights & bit(Right::accept_authoritative_domain_sender)) != 0);
}

BOOST_AUTO_TEST_CASE(deny_removes_a_right_from_every_group) {
    auto m = mail(connector("\"anonymous\"", "deny = [\"accept-any-sender\"]\n"), "a@far.example");
    BOOST_TEST(reply(m.verdict) == "550 5.7.1 <a@far.example>: Not authorized to send as this sender");
    BOOST_TEST(m.verdict.rule == "connector C: no accept-any-sender");
    BOOST_TEST(!(m.context.rights & bit(Right::accept_any_sender)));
    // Deny beats grant.
    auto both = mail(connector("\"anonymous\"", "grant = [\"accept-any-recipient\"]\ndeny = [\"accept-any-recipient\"]\n"),
                     "a@far.example");
    BOOST_TEST(!(both.context.rights & bit(Right::accept_any_recipient)));
}

BOOST_AUTO_TEST_CASE(denying_submit_refuses_everyone) {
    auto m = mail(connector("\"anonymous\"", "deny = [\"submit\"]\n"), "a@far.example");
    BOOST_TEST(reply(m.verdict) == "530 5.7.0 Authentication required");
    BOOST_TEST(m.verdict.rule == "connector C: no submit right");
}

BOOST_AUTO_TEST_CASE(only_listed_groups_count) {
    // Unauthenticated on a users-only connector: no group applies, no rights, no submit.
    auto m = mail(connector("\"users\""), "a@far.example");
    BOOST_TEST(m.context.groups.empty());
    BOOST_TEST(m.context.rights == 0);
    BOOST_TEST(reply(m.verdict) == "530 5.7.0 Authentication required");
    // Authenticated there: users.
    auto u = mail(connector("\"users\""), "alice@example.com", true);
    BOOST_TEST(u.context.groups == std::vector<PermissionGroup>{PermissionGroup::users}, boost::test_tools::per_element());
    BOOST_TEST(u.context.rights == default_rights(PermissionGroup::users));
    BOOST_TEST(u.context.authenticated);
    // Authenticated on an anonymous-only connector: users is not listed, so no rights at all.
    auto a = mail(connector("\"anonymous\""), "alice@example.com", true);
    BOOST_TEST(a.context.groups.empty());
    BOOST_TEST(reply(a.verdict) == "530 5.7.0 Authentication required");
}

BOOST_AUTO_TEST_CASE(grant_adds_to_the_union_of_groups) {
    auto m = mail(connector("\"anonymous\", \"users\"", "grant = [\"bypass-anti-spam\"]\n"), "alice@example.com", true);
    BOOST_TEST(m.context.rights == (default_rights(PermissionGroup::users) | bit(Right::bypass_anti_spam)));
    auto g = mail(connector("\"anonymous\"", "grant = [\"accept-organization-headers\", \"accept-any-recipient\"]\n"),
                  "a@far.example");
    BOOST_TEST(g.context.rights == (default_rights(PermissionGroup::anonymous) | bit(Right::accept_organization_headers) |
                                    bit(Right::accept_any_recipient)));
}

BOOST_AUTO_TEST_CASE(servers_get_every_right_on_external_authoritative) {
    auto m = mail(connector("\"servers\"", "auth = [\"external-authoritative\"]\nremote = [\"10.0.0.0/8\"]\n"),
                  "anyone@example.com", false, false, "10.1.1.1");
    BOOST_TEST(m.context.groups == std::vector<PermissionGroup>{PermissionGroup::servers}, boost::test_tools::per_element());
    BOOST_TEST(m.context.rights == all_rights);
    BOOST_TEST(reply(m.verdict) == "250 2.1.0 Ok");
    // Listing servers without external-authoritative grants nothing: nobody is in the group.
    auto n = mail(connector("\"servers\""), "a@far.example");
    BOOST_TEST(n.context.groups.empty());
    BOOST_TEST(reply(n.verdict) == "530 5.7.0 Authentication required");
}

BOOST_AUTO_TEST_CASE(partners_union_with_anonymous) {
    auto rules = std::string(connector("\"anonymous\", \"partners\"")) +
                 "\n[domain_security]\nreceive = [\"partner.example\"]\n";
    TempDir d("engine-rights-partner");
    auto rs = load_ok(d, std::string(base_rules) + rules);
    SessionFacts f = standalone_facts("192.0.2.1", 25, "192.0.2.7");
    f.tls = tls13();
    f.tls->cert = PeerCertificate{"CN=mx.partner.example", "CN=CA", {}, std::nullopt, true};
    auto c = evaluate_connect(*rs, f);
    auto m = evaluate_mail(*rs, f, c, addr("a@partner.example"), std::nullopt);
    BOOST_TEST(reply(m.verdict) == "250 2.1.0 Ok", trace_text(m.trace));
    BOOST_TEST(m.context.groups == (std::vector<PermissionGroup>{PermissionGroup::anonymous, PermissionGroup::partners}),
               boost::test_tools::per_element());
    BOOST_TEST(m.context.rights == (default_rights(PermissionGroup::anonymous) | default_rights(PermissionGroup::partners)));
    BOOST_TEST(m.context.domain_secure.value_or("") == "partner.example");
}

BOOST_AUTO_TEST_SUITE_END()
