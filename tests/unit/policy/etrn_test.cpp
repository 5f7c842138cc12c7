// ETRN decisions (README "ETRN"): the right `etrn` (off by default, every right for servers), and
// which nodes may be asked for: mail that leaves by a send connector, not mail delivered here.
#define BOOST_TEST_MODULE engine_etrn
#include "engine_fixture.hpp"

using namespace mw::test;

namespace {

const char* const send_connectors = R"(
[[send_connector]]
name = "Partner"
address_spaces = ["partner.example", "*.partner.example"]
smart_hosts = ["[192.0.2.50]:25"]
hold = true
)";

struct Fixture {
    TempDir dir{"engine-etrn"};
    std::shared_ptr<const Ruleset> rules;

    EtrnResult etrn(const std::string& connector_toml, const std::string& domain, bool subdomains = false,
                    bool authenticated = false) {
        rules = load_ok(dir, std::string(base_rules) + send_connectors + connector_toml);
        SessionFacts f = standalone_facts("192.0.2.1", 25, "192.0.2.7");
        if (authenticated) f.auth_login = "alice";
        auto connect = evaluate_connect(*rules, f);
        BOOST_TEST_REQUIRE(connect.verdict.continues(), trace_text(connect.trace));
        session = session_rights(f, connect);
        return evaluate_etrn(*rules, f, connect, domain, subdomains);
    }
    Rights session = 0;
};

std::string connector(const std::string& groups, const std::string& extra = "") {
    return "\n[[receive_connector]]\nname = \"C\"\nbind = [\"0.0.0.0:25\"]\npermission_groups = [" + groups + "]\n" +
           extra;
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_right_is_off_by_default_and_servers_have_it) {
    BOOST_TEST(right_from_string("etrn").has_value());
    BOOST_TEST(std::string(to_string(Right::etrn)) == "etrn");
    for (auto g : {PermissionGroup::anonymous, PermissionGroup::users, PermissionGroup::partners})
        BOOST_TEST(!(default_rights(g) & bit(Right::etrn)), to_string(g));
    BOOST_TEST((default_rights(PermissionGroup::servers) & bit(Right::etrn)) != 0);
}

BOOST_FIXTURE_TEST_SUITE(decisions, Fixture)

BOOST_AUTO_TEST_CASE(anonymous_session_is_refused_with_502) {
    auto r = etrn(connector("\"anonymous\""), "partner.example");
    BOOST_TEST(reply(r.verdict) == "502 5.7.0 Error: ETRN not permitted");
    BOOST_TEST(r.verdict.rule == "connector C: no etrn");
    BOOST_TEST(!(session & bit(Right::etrn)));
}

BOOST_AUTO_TEST_CASE(authenticated_users_are_refused_too) {
    auto r = etrn(connector("\"users\""), "partner.example", false, true);
    BOOST_TEST(reply(r.verdict) == "502 5.7.0 Error: ETRN not permitted");
}

BOOST_AUTO_TEST_CASE(grant_gives_it_and_the_node_starts) {
    auto r = etrn(connector("\"anonymous\"", "grant = [\"etrn\"]\n"), "partner.example");
    BOOST_TEST(reply(r.verdict) == "250 2.0.0 Queuing for node partner.example started");
    BOOST_TEST(r.verdict.rule == "send connector Partner");
    BOOST_TEST((session & bit(Right::etrn)) != 0);
}

BOOST_AUTO_TEST_CASE(deny_takes_it_from_servers) {
    const std::string servers = "auth = [\"external-authoritative\"]\nremote = [\"192.0.2.0/24\"]\n";
    BOOST_TEST(etrn(connector("\"servers\"", servers), "partner.example").verdict.code == 250);
    auto r = etrn(connector("\"servers\"", servers + "deny = [\"etrn\"]\n"), "partner.example");
    BOOST_TEST(reply(r.verdict) == "502 5.7.0 Error: ETRN not permitted");
}

BOOST_AUTO_TEST_CASE(subdomain_form_names_the_node_with_its_at) {
    auto r = etrn(connector("\"anonymous\"", "grant = [\"etrn\"]\n"), "partner.example", true);
    BOOST_TEST(reply(r.verdict) == "250 2.0.0 Queuing for node @partner.example started");
}

BOOST_AUTO_TEST_CASE(our_own_domain_is_not_a_node) {
    auto r = etrn(connector("\"anonymous\"", "grant = [\"etrn\"]\n"), "example.com");
    BOOST_TEST(reply(r.verdict) == "459 4.7.1 Node example.com not allowed: mail for it is delivered here");
    auto sub = etrn(connector("\"anonymous\"", "grant = [\"etrn\"]\n"), "a.example.com");
    BOOST_TEST(sub.verdict.code == 459);
}

BOOST_AUTO_TEST_CASE(a_domain_no_connector_routes_is_not_a_node) {
    auto r = etrn(connector("\"anonymous\"", "grant = [\"etrn\"]\n"), "elsewhere.example");
    BOOST_TEST(reply(r.verdict) == "459 4.7.1 Node elsewhere.example not allowed: no send connector routes it");
}

BOOST_AUTO_TEST_CASE(route_says_hold) {
    etrn(connector("\"anonymous\""), "partner.example");
    auto route = route_recipient(*rules, addr("bob@x.partner.example"), nullptr);
    BOOST_TEST_REQUIRE(route.has_value());
    BOOST_TEST(route->hold);
    BOOST_TEST(route->send_connector == "Partner");
}

BOOST_AUTO_TEST_SUITE_END()
