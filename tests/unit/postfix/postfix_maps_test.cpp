// Postfix transport_maps and smtp_tls_policy_maps answers (postfix/postfix_maps.hpp; README "Send connectors"
// send_connector comments; Postfix 3.7 notes "Socketmap"): exact answers for every key form.
#define BOOST_TEST_MODULE postfix_maps
#include "policy/engine_fixture.hpp"

#include "postfix/postfix_maps.hpp"

using namespace mw::test;
using namespace mw;
using namespace mw::postfix;

namespace {

const std::string pin_hex = "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789";
const std::string pin_policy =
    "fingerprint match=AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89";

// A "*" connector routes by MX; smart hosts carry a few domains.
const std::string routed_rules = std::string(base_rules) + R"(
[[send_connector]]
name = "Internet"
address_spaces = ["*"]
tls = "opportunistic"

[[send_connector]]
name = "Smart host"
address_spaces = ["smart.test", "*.smart.test"]
smart_hosts = ["[192.0.2.1]:25", "[192.0.2.2]:25"]
tls = "certificate-validation"
auth = { user = "relayuser", password_file = "secrets/relay.pass" }

[[send_connector]]
name = "Shares the smart host"
address_spaces = ["shared.test"]
smart_hosts = ["[192.0.2.1]"]
tls = "encryption-only"

[[send_connector]]
name = "Named relay"
address_spaces = ["named.test"]
smart_hosts = ["Relay.Example.NET"]
tls = "encryption-only"

[[send_connector]]
name = "Submission relay"
address_spaces = ["port.test"]
smart_hosts = ["relay.example.net:587"]
tls = "domain-validation"
tls_domain = "relay.example.net"

[[send_connector]]
name = "Unnamed validation"
address_spaces = ["unnamed.test"]
smart_hosts = ["[relay2.example.net]:2525"]
tls = "domain-validation"

[[send_connector]]
name = "IPv6 relay"
address_spaces = ["v6.test"]
smart_hosts = ["[2001:DB8::1]:2525"]
tls = "dane"

[[send_connector]]
name = "ISP port"
address_spaces = ["isp.test"]
port = 2525

[[tls_required]]
domain = "isp.test"
direction = "send"
level = "domain"

[[tls_required]]
domain = "bank.test"
direction = "send"
level = "verify"

[[tls_required]]
domain = "*.bank.test"
direction = "send"
level = "encrypt"

[[tls_required]]
domain = "*.deep.test"
direction = "both"
level = "domain"

[[tls_required]]
domain = "inbound.test"
direction = "receive"
level = "domain"

[[tls_required]]
domain = "strong.test"
direction = "send"
min_cipher_bits = 256
min_tls_version = "TLSv1.2"

[domain_security]
send = ["partner.test", "*.partners.test"]
direct_trust = [ { domain = "pinned.test", sha256 = ")" + pin_hex + R"(" } ]
)";

// No "*" connector: most domains are left to Postfix's own routing.
const std::string narrow_rules = std::string(base_rules) + R"(
[[send_connector]]
name = "Only"
address_spaces = ["only.test"]
smart_hosts = ["[192.0.2.7]:25"]
tls = "encryption-only"

[[tls_required]]
domain = "orphan.test"
direction = "send"
level = "encrypt"

[[tls_required]]
domain = "verify.test"
direction = "both"
level = "verify"

[[tls_required]]
domain = "example.com"
level = "encrypt"

[domain_security]
send = ["ds.test"]
direct_trust = [ { domain = "pin.test", sha256 = ")" + pin_hex + R"(" } ]
)";

std::shared_ptr<const Ruleset> load_with_secret(const TempDir& dir, const std::string& toml) {
    dir.write("rules/secrets/relay.pass", "s3cret\n");
    return load_ok(dir, toml);
}

struct Fixture {
    TempDir dir{"postfix-maps"};
    TempDir narrow_dir{"postfix-maps-narrow"};
    std::shared_ptr<const Ruleset> rules = load_with_secret(dir, routed_rules);
    std::shared_ptr<const Ruleset> narrow = load_ok(narrow_dir, narrow_rules);

    // "OK data", "NOTFOUND", "TEMP reason": one string, so a failure shows the whole answer.
    static std::string text(const MapAnswer& a) {
        std::string s = to_string(a.status);
        return a.status == MapAnswer::Status::notfound ? s : s + " " + a.data;
    }
    std::string transport(std::string_view key, const Ruleset* r = nullptr) {
        return text(lookup_transport(r ? *r : *rules, key));
    }
    std::string tls(std::string_view key, const Ruleset* r = nullptr) {
        return text(lookup_tls_policy(r ? *r : *rules, key));
    }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(postfix_maps, Fixture)

BOOST_AUTO_TEST_CASE(transport_smart_host_is_the_first_one_in_nexthop_syntax) {
    BOOST_TEST(transport("bob@smart.test") == "OK smtp:[192.0.2.1]:25");
    BOOST_TEST(transport("bob@sub.smart.test") == "OK smtp:[192.0.2.1]:25");
    BOOST_TEST(transport("bob@shared.test") == "OK smtp:[192.0.2.1]:25");  // "[192.0.2.1]" as Postfix writes it
    // Without brackets Postfix looks up the smart host's MX: the name stays bare.
    BOOST_TEST(transport("a@named.test") == "OK smtp:relay.example.net");
    BOOST_TEST(transport("a@port.test") == "OK smtp:relay.example.net:587");
    BOOST_TEST(transport("a@v6.test") == "OK smtp:[2001:db8::1]:2525");
}

BOOST_AUTO_TEST_CASE(transport_mx_routed_is_an_empty_nexthop) {
    BOOST_TEST(transport("a@far.org") == "OK smtp:");
    BOOST_TEST(transport("a@bank.test") == "OK smtp:");
    BOOST_TEST(transport("x@relay.example") == "OK smtp:");  // internal relay: leaves through a connector
    BOOST_TEST(transport("\"a b\"@far.org") == "OK smtp:");  // quoted local part
    // Off port 25 the next hop names the domain: still its MX, on the connector's port.
    BOOST_TEST(transport("a@isp.test") == "OK smtp:isp.test:2525");
}

// Postfix looks up the TLS policy by the next hop as the transport gave it, port included: the
// domain's requirement must come back for "isp.test:2525" too, never a weaker default.
BOOST_AUTO_TEST_CASE(tls_policy_of_an_mx_route_off_port_25_is_the_domains) {
    BOOST_TEST(tls("isp.test:2525") == tls("isp.test"));
    BOOST_TEST(tls("isp.test:2525").starts_with("OK secure"), tls("isp.test:2525"));
}

BOOST_AUTO_TEST_CASE(transport_keys_compare_case_insensitively) {
    BOOST_TEST(transport("Bob@SMART.Test") == "OK smtp:[192.0.2.1]:25");
    BOOST_TEST(transport("BOB@Sub.Smart.TEST.") == "OK smtp:[192.0.2.1]:25");
    BOOST_TEST(transport("Bob@Example.COM") == "NOTFOUND");
}

BOOST_AUTO_TEST_CASE(transport_notfound_for_star_authoritative_unrouted_and_non_addresses) {
    BOOST_TEST(transport("*") == "NOTFOUND");
    BOOST_TEST(transport("bob@example.com") == "NOTFOUND");
    BOOST_TEST(transport("bob@sub.example.com") == "NOTFOUND");  // "*.example.com" is authoritative
    BOOST_TEST(transport("a@orphan.test", narrow.get()) == "NOTFOUND");  // no connector covers it
    BOOST_TEST(transport("a@only.test", narrow.get()) == "OK smtp:[192.0.2.7]:25");
    for (std::string_view key : {"", "far.org", "@far.org", "<>", "bob@", "a@b..c", "a b@far.org", "*@far.org x"})
        BOOST_TEST(transport(key) == "NOTFOUND", "key '" << key << "'");
}

BOOST_AUTO_TEST_CASE(tls_smart_host_keys_answer_the_strongest_listing_connector) {
    // "Smart host" (verify) and "Shares the smart host" (encrypt) both list 192.0.2.1.
    BOOST_TEST(tls("[192.0.2.1]:25") == "OK verify");
    BOOST_TEST(tls("[192.0.2.1]") == "OK verify");  // port 25 is Postfix's default: one next hop
    BOOST_TEST(tls("[192.0.2.2]:25") == "OK verify");
    BOOST_TEST(tls("[192.0.2.2]:587") == "NOTFOUND");  // another port, another next hop
    BOOST_TEST(tls("[192.0.2.3]:25") == "NOTFOUND");
    BOOST_TEST(tls("relay.example.net:587") == "OK secure match=relay.example.net");
    BOOST_TEST(tls("[relay.example.net]:587") == "NOTFOUND");  // brackets: a different next hop
    // domain-validation without tls_domain: the smart host's own name (Postfix's "nexthop").
    BOOST_TEST(tls("[relay2.example.net]:2525") == "OK secure match=nexthop");
    BOOST_TEST(tls("[2001:db8::1]:2525") == "OK dane-only");
    BOOST_TEST(tls("[2001:DB8:0:0::1]:2525") == "OK dane-only");
}

BOOST_AUTO_TEST_CASE(tls_bare_name_is_a_domain_and_an_unbracketed_smart_host) {
    // The "*" connector sends relay.example.net mail by MX (may); the Named relay's smart host
    // is the same name (encrypt): the stronger wins.
    BOOST_TEST(tls("relay.example.net") == "OK encrypt");
    BOOST_TEST(tls("Relay.Example.NET") == "OK encrypt");
    BOOST_TEST(tls("relay.example.net:25") == "OK encrypt");
}

BOOST_AUTO_TEST_CASE(tls_domain_keys_mx_routed) {
    BOOST_TEST(tls("far.org") == "OK may");
    BOOST_TEST(tls("bank.test") == "OK verify");  // tls_required verify raises may
    // Floors become Postfix's protocols= and ciphers= (more than 128 bits is its "high" grade).
    BOOST_TEST(tls("strong.test") == "OK encrypt protocols=>=TLSv1.2 ciphers=high");
    BOOST_TEST(tls("BANK.Test.") == "OK verify");
    BOOST_TEST(tls("x.bank.test") == "OK encrypt");  // "*.bank.test"; never the rule for bank.test
    BOOST_TEST(tls("a.x.deep.test") == "OK secure match=a.x.deep.test");
    BOOST_TEST(tls("inbound.test") == "OK may");  // receive-only requirement
    BOOST_TEST(tls("relay.example") == "OK may");
}

BOOST_AUTO_TEST_CASE(tls_domain_security_send_and_direct_trust) {
    BOOST_TEST(tls("partner.test") == "OK secure match=partner.test:.partner.test");
    BOOST_TEST(tls("Partner.TEST") == "OK secure match=partner.test:.partner.test");
    BOOST_TEST(tls("mx.partners.test") == "OK secure match=mx.partners.test:.mx.partners.test");
    BOOST_TEST(tls("pinned.test") == "OK " + pin_policy);
}

BOOST_AUTO_TEST_CASE(tls_parent_forms_see_only_wildcard_rules) {
    BOOST_TEST(tls(".bank.test") == "OK encrypt");  // "*.bank.test", not bank.test's verify
    BOOST_TEST(tls(".Bank.TEST") == "OK encrypt");
    BOOST_TEST(tls(".x.bank.test") == "OK encrypt");
    // The subdomain itself is unknown: Postfix's keywords name it.
    BOOST_TEST(tls(".deep.test") == "OK secure match=nexthop");
    BOOST_TEST(tls(".partners.test") == "OK secure match=nexthop:dot-nexthop");
    BOOST_TEST(tls(".partner.test") == "OK may");  // domain security names partner.test exactly
    BOOST_TEST(tls(".pinned.test") == "OK may");   // a pin is for one exact domain
    BOOST_TEST(tls(".orphan.test", narrow.get()) == "NOTFOUND");
    // "*.smart.test" goes through a smart host, whose own key carries its policy.
    BOOST_TEST(tls(".smart.test") == "NOTFOUND");
}

BOOST_AUTO_TEST_CASE(tls_domain_carried_by_a_smart_host_has_no_policy_of_its_own) {
    // Postfix asks for "[192.0.2.1]:25" when it sends smart.test mail, never "smart.test".
    BOOST_TEST(tls("smart.test") == "NOTFOUND");
    BOOST_TEST(tls("only.test", narrow.get()) == "NOTFOUND");
}

BOOST_AUTO_TEST_CASE(tls_requirements_without_any_connector) {
    const Ruleset* n = narrow.get();
    BOOST_TEST(tls("orphan.test", n) == "OK encrypt");
    BOOST_TEST(tls("verify.test", n) == "OK verify");
    BOOST_TEST(tls("ds.test", n) == "OK secure match=ds.test:.ds.test");
    BOOST_TEST(tls("pin.test", n) == "OK " + pin_policy);
    BOOST_TEST(tls("nothing.test", n) == "NOTFOUND");
    BOOST_TEST(tls("example.com", n) == "OK encrypt");  // authoritative, yet its requirement holds
    BOOST_TEST(tls("[192.0.2.7]:25", n) == "OK encrypt");
}

BOOST_AUTO_TEST_CASE(tls_malformed_keys_are_notfound) {
    for (std::string_view key : {"", ".", "..bank.test", ".[192.0.2.1]", "[192.0.2.1", "[192.0.2.1]:", "[192.0.2.1]:0",
                                 "[192.0.2.1]:65536", "[192.0.2.1]x", "a..b", "host:25:25", "2001:db8::1",
                                 "bank test", "-bad-.test"})
        BOOST_TEST(tls(key) == "NOTFOUND", "key '" << key << "'");
}

BOOST_AUTO_TEST_CASE(answers_never_carry_smart_host_credentials) {
    for (std::string_view key : {"[192.0.2.1]:25", "[192.0.2.2]:25", "smart.test", ".smart.test"}) {
        MapAnswer a = lookup_tls_policy(*rules, key);
        BOOST_TEST(a.data.find("relayuser") == std::string::npos);
        BOOST_TEST(a.data.find("relay.pass") == std::string::npos);
        BOOST_TEST(a.data.find("s3cret") == std::string::npos);
    }
    MapAnswer t = lookup_transport(*rules, "bob@smart.test");
    BOOST_TEST(t.data.find("relayuser") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(status_words_are_the_socketmap_words) {
    BOOST_TEST(std::string(to_string(MapAnswer::Status::ok)) == "OK");
    BOOST_TEST(std::string(to_string(MapAnswer::Status::notfound)) == "NOTFOUND");
    BOOST_TEST(std::string(to_string(MapAnswer::Status::temp)) == "TEMP");
    BOOST_TEST(std::string(to_string(MapAnswer::Status::perm)) == "PERM");
    // Not found carries no data; OK never carries empty data.
    BOOST_TEST(lookup_transport(*rules, "*").data.empty());
    BOOST_TEST(!lookup_transport(*rules, "a@far.org").data.empty());
}

BOOST_AUTO_TEST_SUITE_END()
