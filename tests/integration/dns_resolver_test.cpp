// The resolver of standalone delivery against a private, DNSSEC-signed DNS tree (support/dns_rig):
// libunbound validates from the fake root's DS alone, so "secure", "insecure" and "bogus" mean what
// they mean on the Internet, and a forwarder that never answers is a timeout, not a hang.
#define BOOST_TEST_MODULE dns_resolver
#include <boost/test/unit_test.hpp>

#include <netinet/in.h>
#include <sys/socket.h>

#include "core/unique_fd.hpp"
#include "smtp/dns/resolver.hpp"
#include "support/dns_rig.hpp"
#include "support/net.hpp"

namespace mw::smtp::dns {
// Boost.Test prints the values of a failed comparison.
inline std::ostream& operator<<(std::ostream& os, DnsStatus s) { return os << to_string(s); }
inline std::ostream& operator<<(std::ostream& os, DnsSecurity s) { return os << to_string(s); }
}  // namespace mw::smtp::dns

using namespace mw::itest;
using namespace mw::smtp::dns;

namespace {

const std::vector<DnsZone>& rig_zones() {
    static const std::vector<DnsZone> zones = {
        {"test.", ""},
        {"secure.test.",
         "@ MX 10 mx1\n@ MX 20 MX2.secure.test.\nmx1 A 127.0.77.10\nmx1 AAAA ::1\nmx2 A 127.0.77.11\n"
         "@ TXT \"v=spf1 \" \"-all\"\n_25._tcp.mx1 TLSA 3 1 1 "
         "8f5a1b3c0e2d4f6a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a\nalias CNAME mx1\n"},
        {"nullmx.test.", "@ MX 0 .\n"},
        {"insecure.test.", "@ MX 10 mx\nmx A 127.0.77.20\n_25._tcp.mx TLSA 3 1 1 00112233\n",
         DnsZone::Signing::unsigned_zone},
        {"bogus.test.", "@ MX 10 mx\nmx A 127.0.77.30\n", DnsZone::Signing::expired},
        {"77.0.127.in-addr.arpa.", "10 PTR mx1.secure.test.\n"},
    };
    return zones;
}

// One rig for the whole file: keys and signatures take a few seconds.
struct Rig {
    mw::test::TempDir dir{"dns"};
    DnsRig dns{dir.path() / "rig", rig_zones()};
    ResolverConfig config() const {
        ResolverConfig c;
        c.forwarders = {"127.0.0.1@" + std::to_string(dns.port())};
        c.trust_anchor = dns.trust_anchor();
        c.unbound_config = dns.unbound_config();
        return c;
    }
};
Rig& rig() {
    static Rig r;
    return r;
}

DnsAnswer ask(const std::string& name, DnsType type, const ResolverConfig& config = rig().config(),
              std::chrono::milliseconds timeout = 10s) {
    std::string error;
    auto a = resolve_blocking(config, name, type, timeout, &error);
    BOOST_TEST_MESSAGE(name << " " << to_string(type) << ": " << a.failure() << " " << to_string(a.security));
    BOOST_TEST_REQUIRE(error.empty(), error);
    return a;
}

}  // namespace

BOOST_AUTO_TEST_CASE(signed_zone_answers_are_secure_and_decoded) {
    auto mx = ask("secure.test", DnsType::mx);
    BOOST_TEST_REQUIRE(mx.status == DnsStatus::answer, mx.failure() << "\n" << rig().dns.dig("secure.test", "MX"));
    BOOST_TEST(mx.security == DnsSecurity::secure);
    BOOST_TEST(mx.usable());
    std::vector<MxRecord> want = {{10, "mx1.secure.test"}, {20, "mx2.secure.test"}};
    std::sort(mx.mx.begin(), mx.mx.end(), [](const auto& a, const auto& b) { return a.preference < b.preference; });
    BOOST_TEST((mx.mx == want));

    auto a = ask("mx1.secure.test.", DnsType::a);
    BOOST_TEST(a.security == DnsSecurity::secure);
    BOOST_TEST(a.addresses == std::vector<std::string>{"127.0.77.10"}, boost::test_tools::per_element());
    auto aaaa = ask("mx1.secure.test", DnsType::aaaa);
    BOOST_TEST(aaaa.addresses == std::vector<std::string>{"::1"}, boost::test_tools::per_element());

    auto txt = ask("secure.test", DnsType::txt);
    BOOST_TEST(txt.texts == std::vector<std::string>{"v=spf1 -all"}, boost::test_tools::per_element());

    auto tlsa = ask("_25._tcp.mx1.secure.test", DnsType::tlsa);
    BOOST_TEST_REQUIRE(tlsa.tlsa.size() == 1u);
    BOOST_TEST(tlsa.security == DnsSecurity::secure);
    BOOST_TEST(tlsa.tlsa[0].usage == 3);
    BOOST_TEST(tlsa.tlsa[0].selector == 1);
    BOOST_TEST(tlsa.tlsa[0].matching_type == 1);
    BOOST_TEST(tlsa.tlsa[0].data.size() == 32u);
    BOOST_TEST(tlsa.tlsa[0].data[0] == 0x8f);

    auto ptr = ask("10.77.0.127.in-addr.arpa", DnsType::ptr);
    BOOST_TEST(ptr.security == DnsSecurity::secure);
    BOOST_TEST(ptr.names == std::vector<std::string>{"mx1.secure.test"}, boost::test_tools::per_element());

    auto alias = ask("alias.secure.test", DnsType::a);
    BOOST_TEST(alias.canonical_name == "mx1.secure.test");
    BOOST_TEST(alias.addresses == std::vector<std::string>{"127.0.77.10"}, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(absence_is_proven_and_null_mx_is_a_root_host) {
    auto missing = ask("nothere.secure.test", DnsType::a);
    BOOST_TEST(missing.status == DnsStatus::nxdomain);
    BOOST_TEST(missing.security == DnsSecurity::secure);
    BOOST_TEST(missing.usable());

    auto nodata = ask("mx2.secure.test", DnsType::aaaa);
    BOOST_TEST(nodata.status == DnsStatus::nodata);
    BOOST_TEST(nodata.security == DnsSecurity::secure);

    auto null_mx = ask("nullmx.test", DnsType::mx);
    BOOST_TEST_REQUIRE(null_mx.mx.size() == 1u);
    BOOST_TEST(null_mx.mx[0].preference == 0);
    BOOST_TEST(null_mx.mx[0].host == "");
}

BOOST_AUTO_TEST_CASE(unsigned_zone_is_insecure_and_expired_signatures_are_bogus) {
    auto insecure = ask("insecure.test", DnsType::mx);
    BOOST_TEST(insecure.status == DnsStatus::answer);
    BOOST_TEST(insecure.security == DnsSecurity::insecure);
    BOOST_TEST(insecure.usable());
    auto tlsa = ask("_25._tcp.mx.insecure.test", DnsType::tlsa);
    BOOST_TEST(tlsa.security == DnsSecurity::insecure, "a TLSA record of an unsigned zone is never secure");

    auto bogus = ask("bogus.test", DnsType::mx);
    BOOST_TEST(bogus.security == DnsSecurity::bogus);
    BOOST_TEST(!bogus.usable(), "a bogus answer is a temporary failure, never data");
    BOOST_TEST(bogus.mx.empty());
    BOOST_TEST(bogus.failure().rfind("DNSSEC validation failed", 0) == 0u, bogus.failure());
}

BOOST_AUTO_TEST_CASE(without_a_trust_anchor_nothing_is_secure) {
    auto config = rig().config();
    config.trust_anchor.clear();
    auto mx = ask("secure.test", DnsType::mx, config);
    BOOST_TEST(mx.status == DnsStatus::answer);
    BOOST_TEST(mx.security == DnsSecurity::insecure);
}

BOOST_AUTO_TEST_CASE(a_silent_forwarder_is_a_timeout) {
    // A UDP socket that reads queries and never answers: the resolver must give up at the deadline.
    mw::UniqueFd silent(::socket(AF_INET, SOCK_DGRAM, 0));
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    BOOST_TEST_REQUIRE(::bind(silent.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
    socklen_t len = sizeof sa;
    ::getsockname(silent.get(), reinterpret_cast<sockaddr*>(&sa), &len);
    auto config = rig().config();
    config.forwarders = {"127.0.0.1@" + std::to_string(ntohs(sa.sin_port))};
    auto a = ask("secure.test", DnsType::mx, config, 1500ms);
    BOOST_TEST((a.status == DnsStatus::timeout || a.status == DnsStatus::server_failure), a.failure());
    BOOST_TEST(!a.usable());
}

BOOST_AUTO_TEST_CASE(a_missing_trust_anchor_is_a_configuration_error) {
    auto config = rig().config();
    config.trust_anchor = rig().dir.path() / "no-such.ds";
    std::string error;
    resolve_blocking(config, "secure.test", DnsType::mx, 1s, &error);
    BOOST_TEST(error.find("no-such.ds: cannot read the DNSSEC trust anchor") != std::string::npos, error);
}
