// Send-connector routing and the outbound TLS policy (README "Send connectors", tls_required,
// domain_security send, Direct Trust).
#define BOOST_TEST_MODULE engine_route
#include "engine_fixture.hpp"

using namespace mw::test;

namespace {

const std::string rules_toml = std::string(base_rules) + R"(
[[send_connector]]
name = "Internet"
address_spaces = ["*"]
cost = 10

[[send_connector]]
name = "Backup internet"
address_spaces = ["*"]
cost = 10

[[send_connector]]
name = "Cheap"
address_spaces = ["*.example"]
cost = 5

[[send_connector]]
name = "Expensive"
address_spaces = ["*.example"]
cost = 50

[[send_connector]]
name = "Deep"
address_spaces = ["*.shop.example"]
cost = 100
tls = "none"

[[send_connector]]
name = "Exact"
address_spaces = ["exact.example"]
cost = 999
smart_hosts = ["[192.0.2.1]:25", "[192.0.2.2]:25"]
tls = "certificate-validation"

[[send_connector]]
name = "Relay"
address_spaces = ["relay.example"]
smart_hosts = ["relay-host.example:587"]
tls = "encryption-only"

[[send_connector]]
name = "Validating"
address_spaces = ["validated.test", "named.test"]
smart_hosts = ["[192.0.2.9]:25"]
tls = "domain-validation"
tls_domain = "mx.validated.test"

[[send_connector]]
name = "DANE"
address_spaces = ["dane.test"]
tls = "dane"

[[send_connector]]
name = "Partners"
address_spaces = ["partner.test", "pinned.test"]

[[send_connector]]
name = "Port 2525"
address_spaces = ["isp.test"]
port = 2525

[[send_connector]]
name = "ISP relay"
address_spaces = ["isp-relay.test"]
port = 2525
smart_hosts = ["[192.0.2.7]", "relay.isp.test", "[192.0.2.8]:26", "relay2.isp.test:27"]

[[tls_required]]
domain = "bank.test"
direction = "send"
level = "encrypt"

[[tls_required]]
domain = "verify.test"
direction = "both"
level = "verify"

[[tls_required]]
domain = "domain.test"
direction = "send"
level = "domain"

[[tls_required]]
domain = "inbound.test"
direction = "receive"
level = "domain"

[[tls_required]]
domain = "named.test"
direction = "send"
level = "encrypt"

[[tls_required]]
domain = "strong.test"
direction = "send"
min_cipher_bits = 128
min_tls_version = "TLSv1.2"

[domain_security]
send = ["partner.test"]
direct_trust = [ { domain = "pinned.test", sha256 = "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789" } ]
)";

struct Fixture {
    TempDir dir{"engine-route"};
    std::shared_ptr<const Ruleset> rules = load_ok(dir, rules_toml);
    Trace trace;

    std::optional<Route> route(std::string_view rcpt) {
        trace.clear();
        return route_recipient(*rules, addr(rcpt), &trace);
    }
    // The route's TLS policy in the engine's own words (route.hpp describe()).
    std::string tls(std::string_view rcpt) {
        auto r = route(rcpt);
        return r ? describe(r->tls) : "(no route)";
    }
    std::string connector(std::string_view rcpt) {
        auto r = route(rcpt);
        return r ? r->send_connector : "(none)";
    }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(route, Fixture)

BOOST_AUTO_TEST_CASE(most_specific_address_space_then_cost_then_file_order) {
    BOOST_TEST(connector("a@far.org") == "Internet");             // "*", equal cost: first in file order
    BOOST_TEST(connector("a@far.example") == "Cheap");            // "*.example" beats "*", then cost 5 < 50
    BOOST_TEST(connector("a@a.shop.example") == "Deep");          // deeper parent beats cheaper
    BOOST_TEST(connector("a@shop.example") == "Cheap");           // "*.shop.example" excludes shop.example
    BOOST_TEST(connector("a@exact.example") == "Exact");          // exact beats every wildcard and cost
    BOOST_TEST(connector("a@sub.exact.example") == "Cheap");
    BOOST_TEST(trace_has(trace, "send connector Cheap routes sub.exact.example"), trace_text(trace));
}

BOOST_AUTO_TEST_CASE(nexthop_is_the_first_smart_host_or_the_domain) {
    auto exact = route("a@exact.example");
    BOOST_TEST(exact->nexthop.str() == "[192.0.2.1]:25");
    BOOST_TEST_REQUIRE(exact->fallbacks.size() == 1u);  // the other smart hosts, in order
    BOOST_TEST(exact->fallbacks[0].str() == "[192.0.2.2]:25");
    BOOST_TEST(route("a@far.example")->fallbacks.empty());
    BOOST_TEST(route("a@relay.example")->nexthop.str() == "relay-host.example:587");
    BOOST_TEST(route("a@far.example")->nexthop.str() == "far.example");
}

// A send connector's `port`: its MX deliveries, and its smart hosts written without a port.
BOOST_AUTO_TEST_CASE(connector_port_applies_to_mx_and_portless_smart_hosts) {
    auto mx = route("a@isp.test");
    BOOST_TEST(mx->nexthop.port == 2525);
    BOOST_TEST(mx->nexthop.str() == "isp.test:2525");  // Postfix's "MX lookup, other port" syntax
    BOOST_TEST(route("a@far.org")->nexthop.port == 25);
    auto relay = route("a@isp-relay.test");
    BOOST_TEST(relay->nexthop.str() == "[192.0.2.7]:2525");
    BOOST_TEST_REQUIRE(relay->fallbacks.size() == 3u);
    BOOST_TEST(relay->fallbacks[0].str() == "relay.isp.test:2525");
    BOOST_TEST(relay->fallbacks[1].str() == "[192.0.2.8]:26");  // its own port wins
    BOOST_TEST(relay->fallbacks[2].str() == "relay2.isp.test:27");
}

// [[tls_required]] floors: a minimum demands TLS, and the session must meet it (Exchange 2003's
// "Require 128-bit encryption").
BOOST_AUTO_TEST_CASE(tls_floors_of_the_recipient_domain_raise_and_stay_on_the_policy) {
    auto r = route("a@strong.test");
    BOOST_TEST_REQUIRE(r.has_value());
    BOOST_TEST((r->tls.level == OutboundTls::Level::encrypt));
    BOOST_TEST(r->tls.min_cipher_bits == 128);
    BOOST_TEST((r->tls.min_tls_version == TlsVersion::tls1_2));
    BOOST_TEST(describe(r->tls) == "encrypt (at least TLSv1.2, at least 128 bits)");
}

BOOST_AUTO_TEST_CASE(authoritative_domains_are_not_routed) {
    BOOST_TEST(!route("bob@example.com"));
    BOOST_TEST(trace_has(trace, "delivered here"), trace_text(trace));
    BOOST_TEST(!route("bob@sub.example.com"));
    BOOST_TEST(route("x@relay.example").has_value());  // internal relay: leaves through a connector
}

BOOST_AUTO_TEST_CASE(no_connector_covers_the_domain) {
    TempDir d("engine-route-none");
    auto narrow = load_ok(d, std::string(base_rules) +
                                 "[[send_connector]]\nname = \"Only\"\naddress_spaces = [\"only.example\"]\n");
    Trace t;
    BOOST_TEST(!route_recipient(*narrow, addr("a@far.example"), &t));
    BOOST_TEST(trace_has(t, "no send connector's address space covers far.example"), trace_text(t));
    BOOST_TEST(route_recipient(*narrow, addr("a@only.example"), nullptr).has_value());  // trace optional
}

BOOST_AUTO_TEST_CASE(connector_tls_settings_become_policy_levels) {
    BOOST_TEST(tls("a@far.org") == "may");
    BOOST_TEST(tls("a@a.shop.example") == "none");
    BOOST_TEST(tls("a@relay.example") == "encrypt");
    BOOST_TEST(tls("a@exact.example") == "verify");
    BOOST_TEST(tls("a@validated.test") == "secure (mx.validated.test)");
    BOOST_TEST(tls("a@dane.test") == "dane-only");
}

BOOST_AUTO_TEST_CASE(tls_required_raises_never_lowers) {
    BOOST_TEST(tls("a@bank.test") == "encrypt");
    BOOST_TEST(trace_has(trace, "tls_required bank.test level encrypt: may -> encrypt"), trace_text(trace));
    BOOST_TEST(tls("a@verify.test") == "verify");
    BOOST_TEST(tls("a@domain.test") == "secure (domain.test)");
    BOOST_TEST(tls("a@inbound.test") == "may");  // receive-only requirement
    // The connector already verifies its smart host's name: encrypt adds nothing.
    BOOST_TEST(tls("a@named.test") == "secure (mx.validated.test)");
    BOOST_TEST(trace_has(trace, "already meets encrypt"), trace_text(trace));
}

BOOST_AUTO_TEST_CASE(domain_security_and_direct_trust) {
    BOOST_TEST(tls("a@partner.test") == "secure (partner.test, .partner.test)");
    BOOST_TEST(tls("a@pinned.test") == "fingerprint (ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789)");
    BOOST_TEST(trace_has(trace, "direct trust pinned.test: may -> fingerprint ("), trace_text(trace));
    // Domain Security and Direct Trust are mutual TLS: our client certificate is expected.
    BOOST_TEST(route("a@partner.test")->tls.client_certificate);
    BOOST_TEST(route("a@pinned.test")->tls.client_certificate);
    BOOST_TEST(!route("a@validated.test")->tls.client_certificate);
}

BOOST_AUTO_TEST_SUITE_END()
