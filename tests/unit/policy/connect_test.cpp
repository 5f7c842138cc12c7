// Connect stage: binding, longest remote prefix, milter daemon names (README "Receive connectors and permission groups").
#define BOOST_TEST_MODULE engine_connect
#include "engine_fixture.hpp"

using namespace mw::test;

namespace {

const std::string connectors = std::string(base_rules) + R"(
[[receive_connector]]
name = "Internet"
bind = ["0.0.0.0:25", "[::]:25"]
daemon_name = "internet"
permission_groups = ["anonymous"]

[[receive_connector]]
name = "Apps"
bind = ["0.0.0.0:25"]
daemon_name = "internet"
remote = ["10.0.0.0/8"]
permission_groups = ["anonymous"]

[[receive_connector]]
name = "App server"
bind = ["0.0.0.0:25"]
daemon_name = "internet"
remote = ["10.1.2.3/32"]
permission_groups = ["anonymous"]

[[receive_connector]]
name = "Apps too"
bind = ["0.0.0.0:25"]
daemon_name = "internet"
remote = ["10.0.0.0/8"]
permission_groups = ["anonymous"]

[[receive_connector]]
name = "Loopback only"
bind = ["127.0.0.1:2525"]
daemon_name = "local"
remote = ["127.0.0.0/8", "::1/128"]
permission_groups = ["anonymous"]

[[receive_connector]]
name = "V6"
bind = ["[2001:db8::25]:25"]
remote = ["2001:db8:1::/48"]
permission_groups = ["anonymous"]
)";

struct Fixture {
    TempDir dir{"engine-connect"};
    std::shared_ptr<const Ruleset> rules = load_ok(dir, connectors);

    ConnectResult standalone(std::string_view local, std::uint16_t port, std::string_view client) {
        return evaluate_connect(*rules, standalone_facts(local, port, client));
    }
    ConnectResult milter(Mta mta, std::optional<std::string> daemon, std::string_view client,
                         std::optional<std::pair<std::string, std::uint16_t>> local = std::nullopt) {
        SessionFacts f;
        f.mta = mta;
        f.daemon_name = std::move(daemon);
        f.client_address = ip(client);
        if (local) {
            f.local_address = ip(local->first);
            f.local_port = local->second;
        }
        return evaluate_connect(*rules, f);
    }
};

std::string name(const ConnectResult& r) { return r.connector ? r.connector->name : "(none)"; }

}  // namespace

BOOST_FIXTURE_TEST_SUITE(connect, Fixture)

BOOST_AUTO_TEST_CASE(longest_remote_prefix_wins) {
    auto r = standalone("192.0.2.1", 25, "198.51.100.7");
    BOOST_TEST(name(r) == "Internet");
    BOOST_TEST(r.verdict.continues());
    BOOST_TEST(!r.answer_at_mail);
    BOOST_TEST(trace_has(r.trace, "connector Internet: binding 192.0.2.1:25, remote 0.0.0.0/0 (longest match)"),
               trace_text(r.trace));
    BOOST_TEST(name(standalone("192.0.2.1", 25, "10.9.9.9")) == "Apps");
    BOOST_TEST(name(standalone("192.0.2.1", 25, "10.1.2.3")) == "App server");
}

BOOST_AUTO_TEST_CASE(ties_keep_file_order) {
    // "Apps" and "Apps too" both have 10.0.0.0/8: the first in file order wins.
    auto r = standalone("192.0.2.1", 25, "10.200.0.1");
    BOOST_TEST(name(r) == "Apps");
    BOOST_TEST(trace_has(r.trace, "connector Apps too"), trace_text(r.trace));
}

BOOST_AUTO_TEST_CASE(ipv6_clients_and_bindings) {
    BOOST_TEST(name(standalone("2001:db8::1", 25, "2001:db8:99::1")) == "Internet");
    auto v6 = standalone("2001:db8::25", 25, "2001:db8:1::9");
    BOOST_TEST(name(v6) == "V6");
    BOOST_TEST(trace_has(v6.trace, "binding [2001:db8::25]:25"), trace_text(v6.trace));
}

BOOST_AUTO_TEST_CASE(no_binding_is_access_denied) {
    auto r = standalone("192.0.2.1", 2600, "198.51.100.7");
    BOOST_TEST(r.connector == nullptr);
    BOOST_TEST(reply(r.verdict) == "554 5.7.1 Access denied");
    BOOST_TEST(r.verdict.action == Action::reject);
    BOOST_TEST(r.verdict.rule == "no receive connector binds 192.0.2.1:2600");
}

BOOST_AUTO_TEST_CASE(client_outside_every_remote_range_is_access_denied) {
    auto r = standalone("127.0.0.1", 2525, "192.0.2.9");
    BOOST_TEST(r.connector == nullptr);
    BOOST_TEST(reply(r.verdict) == "554 5.7.1 Access denied");
    BOOST_TEST(!r.answer_at_mail);
    BOOST_TEST(trace_has(r.trace, "not in its remote ranges"), trace_text(r.trace));
    BOOST_TEST(name(standalone("127.0.0.1", 2525, "127.0.0.1")) == "Loopback only");
}

BOOST_AUTO_TEST_CASE(standalone_without_local_endpoint_fails_closed) {
    SessionFacts f;
    f.client_address = ip("192.0.2.1");
    auto r = evaluate_connect(*rules, f);
    BOOST_TEST(r.connector == nullptr);
    BOOST_TEST(!r.verdict.continues());
}

BOOST_AUTO_TEST_CASE(milter_matches_daemon_name_first) {
    auto r = milter(Mta::postfix, "local", "127.0.0.1", std::pair<std::string, std::uint16_t>{"192.0.2.1", 25});
    BOOST_TEST(name(r) == "Loopback only");  // daemon name beats the address binding
    BOOST_TEST(r.answer_at_mail);
    BOOST_TEST(trace_has(r.trace, "connector Loopback only: binding local"), trace_text(r.trace));
    BOOST_TEST(name(milter(Mta::sendmail, "internet", "10.1.2.3")) == "App server");
}

BOOST_AUTO_TEST_CASE(milter_daemon_name_is_case_sensitive_then_falls_back_to_binding) {
    auto r = milter(Mta::postfix, "Internet", "198.51.100.1", std::pair<std::string, std::uint16_t>{"192.0.2.1", 25});
    BOOST_TEST(name(r) == "Internet");
    BOOST_TEST(trace_has(r.trace, "no receive connector has daemon_name 'Internet'"), trace_text(r.trace));
    BOOST_TEST(name(milter(Mta::postfix, std::nullopt, "198.51.100.1",
                           std::pair<std::string, std::uint16_t>{"127.0.0.1", 2525})) == "(none)");
}

BOOST_AUTO_TEST_CASE(milter_without_connector_tempfails_at_mail) {
    auto r = milter(Mta::postfix, "nonesuch", "198.51.100.1");
    BOOST_TEST(r.connector == nullptr);
    BOOST_TEST(r.answer_at_mail);
    BOOST_TEST(r.verdict.action == Action::tempfail);
    BOOST_TEST(reply(r.verdict) == "451 4.3.5 No receive connector for this service");
    BOOST_TEST(r.verdict.rule == "no receive connector for daemon 'nonesuch'");
    auto none = milter(Mta::sendmail, std::nullopt, "198.51.100.1");
    BOOST_TEST(reply(none.verdict) == "451 4.3.5 No receive connector for this service");
    auto port = milter(Mta::postfix, std::nullopt, "198.51.100.1", std::pair<std::string, std::uint16_t>{"192.0.2.1", 26});
    BOOST_TEST(reply(port.verdict) == "451 4.3.5 No receive connector for this service");
    BOOST_TEST(port.verdict.rule == "no receive connector for 192.0.2.1:26");
}

BOOST_AUTO_TEST_CASE(milter_remote_exclusion_is_access_denied_at_mail) {
    auto r = milter(Mta::postfix, "local", "192.0.2.9");
    BOOST_TEST(r.connector == nullptr);
    BOOST_TEST(reply(r.verdict) == "554 5.7.1 Access denied");
    BOOST_TEST(r.answer_at_mail);
    // MAIL answers the connect verdict.
    SessionFacts facts;
    facts.mta = Mta::postfix;
    auto mail = evaluate_mail(*rules, facts, r, addr("a@b.example"), std::nullopt);
    BOOST_TEST(reply(mail.verdict) == "554 5.7.1 Access denied");
}

BOOST_AUTO_TEST_CASE(named_connector_still_applies_its_remote_ranges) {
    const ReceiveConnector& app_server = *rules->find_receive_connector("App server");
    SessionFacts inside = standalone_facts("192.0.2.1", 2600, "10.1.2.3");  // no connector binds this
    auto chosen = evaluate_connect_to(*rules, inside, app_server);
    BOOST_TEST(name(chosen) == "App server");
    BOOST_TEST(chosen.verdict.continues());

    SessionFacts outside = standalone_facts("192.0.2.1", 2600, "10.9.9.9");
    auto refused = evaluate_connect_to(*rules, outside, app_server);
    BOOST_TEST(refused.connector == nullptr);
    BOOST_TEST(reply(refused.verdict) == "554 5.7.1 Access denied");
    BOOST_TEST(!refused.answer_at_mail);

    outside.mta = Mta::sendmail;
    BOOST_TEST(evaluate_connect_to(*rules, outside, app_server).answer_at_mail);
}

BOOST_AUTO_TEST_SUITE_END()
