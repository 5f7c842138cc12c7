// `mailwarden explain --resolve` on the shipped rules against a private, signed DNS tree: the
// addresses in the order delivery would try them, and the reply a recipient would get when DNS
// says no (null MX) or cannot be trusted (expired signatures).
#define BOOST_TEST_MODULE explain_resolve
#include <boost/test/unit_test.hpp>

#include <fstream>

#include "support/dns_rig.hpp"
#include "test_support.hpp"

using namespace mw::itest;

namespace {

struct Fixture {
    mw::test::TempDir dir{"explain-resolve"};
    DnsRig dns{dir.path() / "dns",
               {{"test.", ""},
                {"secure.test.", "@ MX 20 mx2\n@ MX 10 mx1\nmx1 A 127.0.77.10\nmx2 A 127.0.77.11\nmx2 AAAA ::1\n"},
                {"nullmx.test.", "@ MX 0 .\n"},
                {"nomx.test.", "@ A 127.0.77.12\n", DnsZone::Signing::unsigned_zone},
                {"bogus.test.", "@ MX 10 mx\nmx A 127.0.77.30\n", DnsZone::Signing::expired}}};
    std::filesystem::path config = dir.path() / "mailwarden.toml";
    Fixture() { std::ofstream(config) << dns.dns_section(); }

    mw::test::RunResult explain(const std::vector<std::string>& to, bool json) {
        std::vector<std::string> args = {"explain", "--rules", std::string(MW_SOURCE_DIR) + "/rules", "--state-dir",
                                         (dir.path() / "state").string(), "--local", "127.0.0.1:2587", "--client",
                                         "127.0.0.1", "--tls", "TLSv1.3", "--auth", "alice", "--from",
                                         "alice@example.com", "--resolve", "--config", config.string()};
        for (const auto& t : to) args.insert(args.end(), {"--to", t});
        if (json) args.push_back("--json");
        return mw::test::run_mailwarden(args);
    }
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(hosts_in_delivery_order_with_their_dnssec_state, Fixture) {
    auto r = explain({"bob@secure.test", "carol@nomx.test", "dave@bank.example"}, false);
    BOOST_TEST_REQUIRE(r.status == 0, r.out << r.err);
    BOOST_TEST(r.out.find("route: send connector Internet -> secure.test (TLS policy: may, set by send connector "
                          "Internet)\n    try 1: mx1.secure.test[127.0.77.10]:25 (MX 10) dnssec\n"
                          "    try 2: mx2.secure.test[::1]:25 (MX 20) dnssec\n"
                          "    try 3: mx2.secure.test[127.0.77.11]:25 (MX 20) dnssec\n") != std::string::npos,
               r.out);
    // An unsigned zone: the implicit MX, and nothing is marked dnssec.
    BOOST_TEST(r.out.find("    try 1: nomx.test[127.0.77.12]:25 (MX 0)\n") != std::string::npos, r.out);
    // The domain's own requirement is named, whatever the connector says.
    BOOST_TEST(r.out.find("set by tls_required bank.example") != std::string::npos, r.out);
    // bank.example is not in the private tree: its lookup fails and the report says how.
    BOOST_TEST(r.out.find("resolve: ") != std::string::npos, r.out);
}

BOOST_FIXTURE_TEST_CASE(null_mx_and_bogus_answers_in_json, Fixture) {
    auto r = explain({"x@nullmx.test", "y@bogus.test", "z@partner.example"}, true);
    BOOST_TEST_REQUIRE(r.status == 0, r.out << r.err);
    BOOST_TEST(r.out.find(R"("resolve": "permanent", "mx_dnssec": false, "hosts": [], "resolve_failure": "550 5.1.10 Recipient address nullmx.test has null MX")") !=
                   std::string::npos,
               r.out);
    BOOST_TEST(r.out.find(R"("resolve": "temporary", "mx_dnssec": false, "hosts": [], "resolve_failure": "451 4.4.3 Name service error for name=bogus.test type=MX: DNSSEC validation failed")") !=
                   std::string::npos,
               r.out);
    BOOST_TEST(r.out.find(R"("tls_set_by": "domain security send partner.example")") != std::string::npos, r.out);
}

BOOST_FIXTURE_TEST_CASE(an_unreadable_trust_anchor_is_an_error, Fixture) {
    std::ofstream(config) << "[dns]\nforwarders = [\"" << dns.forwarder() << "\"]\ntrust_anchor = \"missing.ds\"\n";
    auto r = explain({"bob@secure.test"}, false);
    BOOST_TEST(r.status == 2, r.out);
    BOOST_TEST(r.err.find("missing.ds: cannot read the DNSSEC trust anchor") != std::string::npos, r.err);
}
