// From a next hop to the addresses tried (RFC 5321 section 5.1), against a table of DNS answers:
// the routing decisions alone. tests/integration/dns_resolver_test.cpp runs the real resolver.
#define BOOST_TEST_MODULE next_hop_resolution
#include <boost/test/unit_test.hpp>

#include <map>

#include "smtp/delivery/next_hop_resolution.hpp"

using namespace mw;
using namespace mw::smtp;
using namespace mw::smtp::delivery;
using dns::DnsAnswer;
using dns::DnsSecurity;
using dns::DnsStatus;
using dns::DnsType;

namespace {

struct Zone {
    std::map<std::pair<std::string, DnsType>, DnsAnswer> answers;
    std::vector<std::string> asked;
    DnsSecurity security = DnsSecurity::secure;

    DnsAnswer& at(const std::string& name, DnsType type) {
        auto& a = answers[{name, type}];
        a.name = name;
        a.type = type;
        a.status = DnsStatus::answer;
        a.security = security;
        return a;
    }
    void mx(const std::string& name, std::vector<dns::MxRecord> records) { at(name, DnsType::mx).mx = std::move(records); }
    void a(const std::string& name, std::vector<std::string> addresses) { at(name, DnsType::a).addresses = std::move(addresses); }
    void aaaa(const std::string& name, std::vector<std::string> addresses) {
        at(name, DnsType::aaaa).addresses = std::move(addresses);
    }
    void fail(const std::string& name, DnsType type, DnsStatus status) {
        auto& a = at(name, type);
        a.status = status;
        a.addresses.clear();
    }

    // A name not in the table exists (nodata) when some type of it is there, else it does not.
    DnsLookup lookup() {
        return [this](std::string name, DnsType type) -> asio::awaitable<DnsAnswer> {
            asked.push_back(name + "/" + std::string(dns::to_string(type)));
            if (auto it = answers.find({name, type}); it != answers.end()) co_return it->second;
            DnsAnswer none;
            none.name = name;
            none.type = type;
            none.security = security;
            none.status = DnsStatus::nxdomain;
            for (const auto& [key, value] : answers)
                if (key.first == name) none.status = DnsStatus::nodata;
            co_return none;
        };
    }
};

ResolvedNextHop resolve(Zone& zone, const policy::NextHop& hop, NextHopOptions options = {}) {
    if (!options.random) options.random = [](std::size_t) { return std::size_t{0}; };
    asio::io_context io;
    ResolvedNextHop out;
    asio::co_spawn(io, resolve_next_hop(hop, options, zone.lookup()), [&](std::exception_ptr e, ResolvedNextHop r) {
        if (e) std::rethrow_exception(e);
        out = std::move(r);
    });
    io.run();
    return out;
}

policy::NextHop mx_of(std::string domain) {
    policy::NextHop h;
    h.kind = policy::NextHop::Kind::mx;
    h.domain = std::move(domain);
    return h;
}

policy::NextHop smart_host(const std::string& text) {
    policy::NextHop h;
    h.kind = policy::NextHop::Kind::host;
    h.host = *policy::parse_smart_host(text);
    return h;
}

std::vector<std::string> order(const ResolvedNextHop& r) {
    std::vector<std::string> out;
    for (const auto& t : r.targets) out.push_back(t.str());
    return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(mx_hosts_by_preference_ipv6_first) {
    Zone z;
    z.mx("example.com", {{20, "mx2.example.com"}, {10, "mx1.example.com"}});
    z.a("mx1.example.com", {"192.0.2.1"});
    z.aaaa("mx1.example.com", {"2001:db8::1"});
    z.a("mx2.example.com", {"192.0.2.2"});
    auto r = resolve(z, mx_of("example.com"));
    BOOST_TEST_REQUIRE((r.status == ResolvedNextHop::Status::ok));
    BOOST_TEST(order(r) == (std::vector<std::string>{"mx1.example.com[2001:db8::1]:25", "mx1.example.com[192.0.2.1]:25",
                                                     "mx2.example.com[192.0.2.2]:25"}),
               boost::test_tools::per_element());
    BOOST_TEST(r.mx_secure);
    BOOST_TEST(r.targets[0].dnssec);
    BOOST_TEST(r.targets[2].preference == 20);
}

BOOST_AUTO_TEST_CASE(equal_preferences_are_shuffled) {
    Zone z;
    z.mx("example.com", {{10, "a.example.com"}, {10, "b.example.com"}, {10, "c.example.com"}, {5, "first.example.com"}});
    for (auto h : {"a", "b", "c", "first"}) z.a(std::string(h) + ".example.com", {"192.0.2.9"});
    NextHopOptions o;
    // The Fisher-Yates walk with "always the first": c b a  ->  the reversal below proves the shuffle ran.
    o.random = [](std::size_t) { return std::size_t{0}; };
    auto r = resolve(z, mx_of("example.com"), o);
    std::vector<std::string> hosts;
    for (const auto& t : r.targets) hosts.push_back(t.host);
    BOOST_TEST(hosts == (std::vector<std::string>{"first.example.com", "b.example.com", "c.example.com", "a.example.com"}),
               boost::test_tools::per_element());
    o.random = [](std::size_t n) { return n - 1; };  // every element stays: the table's order
    r = resolve(z, mx_of("example.com"), o);
    hosts.clear();
    for (const auto& t : r.targets) hosts.push_back(t.host);
    BOOST_TEST(hosts == (std::vector<std::string>{"first.example.com", "a.example.com", "b.example.com", "c.example.com"}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(no_mx_means_the_domain_itself_and_null_mx_bounces) {
    Zone z;
    z.a("nomx.example", {"192.0.2.7"});
    auto r = resolve(z, mx_of("nomx.example"));
    BOOST_TEST_REQUIRE((r.status == ResolvedNextHop::Status::ok));
    BOOST_TEST(order(r) == std::vector<std::string>{"nomx.example[192.0.2.7]:25"}, boost::test_tools::per_element());

    z.mx("nullmx.example", {{0, ""}});
    r = resolve(z, mx_of("nullmx.example"));
    BOOST_TEST((r.status == ResolvedNextHop::Status::permanent));
    BOOST_TEST(r.failure.str() == "550 5.1.10 Recipient address nullmx.example has null MX");

    r = resolve(z, mx_of("nosuch.example"));
    BOOST_TEST((r.status == ResolvedNextHop::Status::permanent));
    BOOST_TEST(r.failure.status == "5.4.4");
}

BOOST_AUTO_TEST_CASE(an_mx_that_is_ourselves_cuts_the_list_or_loops) {
    Zone z;
    z.mx("example.com", {{10, "backup.example.com"}, {5, "primary.example.com"}, {20, "tertiary.example.com"}});
    for (auto h : {"backup", "primary", "tertiary"}) z.a(std::string(h) + ".example.com", {"192.0.2.5"});
    NextHopOptions o;
    o.own_names = {"backup.example.com"};
    auto r = resolve(z, mx_of("example.com"), o);
    BOOST_TEST(order(r) == std::vector<std::string>{"primary.example.com[192.0.2.5]:25"}, boost::test_tools::per_element());
    o.own_names = {"primary.example.com"};
    r = resolve(z, mx_of("example.com"), o);
    BOOST_TEST((r.status == ResolvedNextHop::Status::permanent));
    BOOST_TEST(r.failure.str() == "550 5.4.6 mail for example.com loops back to myself");
}

BOOST_AUTO_TEST_CASE(dns_failures_are_temporary_and_say_whose_they_are) {
    Zone z;
    z.at(".", DnsType::ns).names = {"a.root-servers.net"};  // our resolver works
    z.fail("broken.example", DnsType::mx, DnsStatus::server_failure);
    z.answers[{"broken.example", DnsType::mx}].rcode = 2;
    auto r = resolve(z, mx_of("broken.example"));
    BOOST_TEST((r.status == ResolvedNextHop::Status::temporary));
    BOOST_TEST(r.failure.str() == "451 4.4.3 Name service error for name=broken.example type=MX: SERVFAIL");
    BOOST_TEST(!r.local_resolver);

    // A timeout, while the root answers: the destination's DNS.
    z.fail("sleepy.example", DnsType::mx, DnsStatus::timeout);
    r = resolve(z, mx_of("sleepy.example"));
    BOOST_TEST(!r.local_resolver);
    BOOST_TEST(r.failure.str() == "451 4.4.3 Name service error for name=sleepy.example type=MX: lookup timed out");

    // The same, when the root's NS records cannot be had either: ours.
    Zone cut_off;
    cut_off.fail(".", DnsType::ns, DnsStatus::timeout);
    cut_off.fail("sleepy.example", DnsType::mx, DnsStatus::timeout);
    r = resolve(cut_off, mx_of("sleepy.example"));
    BOOST_TEST((r.status == ResolvedNextHop::Status::temporary));
    BOOST_TEST(r.local_resolver);
    BOOST_TEST(r.detail.find("the root's NS records cannot be resolved either") != std::string::npos, r.detail);
    BOOST_TEST(r.failure.str() == "451 4.4.3 Name service error for name=sleepy.example type=MX: lookup timed out");

    z.fail("slow.example", DnsType::mx, DnsStatus::resolver_error);
    r = resolve(z, mx_of("slow.example"));
    BOOST_TEST(r.local_resolver);
    BOOST_TEST(r.failure.code == 451);

    auto& bogus = z.at("forged.example", DnsType::mx);
    bogus.security = DnsSecurity::bogus;
    bogus.detail = "signature expired from 127.0.0.1";
    bogus.mx = {{10, "evil.example"}};
    r = resolve(z, mx_of("forged.example"));
    BOOST_TEST((r.status == ResolvedNextHop::Status::temporary), "a bogus MX is never followed");
    BOOST_TEST(r.failure.str() == "451 4.4.3 Name service error for name=forged.example type=MX: DNSSEC validation failed");
    BOOST_TEST(r.detail.find("signature expired") != std::string::npos, "the log gets the resolver's reason");
}

BOOST_AUTO_TEST_CASE(a_host_that_fails_is_passed_over_while_another_answers) {
    Zone z;
    z.mx("example.com", {{10, "down.example.com"}, {20, "up.example.com"}});
    z.fail("down.example.com", DnsType::a, DnsStatus::timeout);
    z.fail("down.example.com", DnsType::aaaa, DnsStatus::timeout);
    z.a("up.example.com", {"192.0.2.20"});
    auto r = resolve(z, mx_of("example.com"));
    BOOST_TEST(order(r) == std::vector<std::string>{"up.example.com[192.0.2.20]:25"}, boost::test_tools::per_element());
    z.fail("up.example.com", DnsType::a, DnsStatus::nxdomain);
    r = resolve(z, mx_of("example.com"));
    BOOST_TEST((r.status == ResolvedNextHop::Status::temporary), "a timeout on one host keeps the mail, whatever the others say");
}

BOOST_AUTO_TEST_CASE(smart_hosts_literal_bracketed_and_by_mx) {
    Zone z;
    auto r = resolve(z, smart_host("[192.0.2.25]:587"));
    BOOST_TEST(order(r) == std::vector<std::string>{"192.0.2.25[192.0.2.25]:587"}, boost::test_tools::per_element());
    BOOST_TEST(z.asked.empty(), "an address literal needs no DNS");

    z.a("relay.example.net", {"192.0.2.30"});
    z.mx("relay.example.net", {{10, "mx.relay.example.net"}});
    z.a("mx.relay.example.net", {"192.0.2.31"});
    r = resolve(z, smart_host("[relay.example.net]:2525"));
    BOOST_TEST(order(r) == std::vector<std::string>{"relay.example.net[192.0.2.30]:2525"}, boost::test_tools::per_element());
    r = resolve(z, smart_host("relay.example.net"));
    BOOST_TEST(order(r) == std::vector<std::string>{"mx.relay.example.net[192.0.2.31]:25"}, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(at_most_the_address_limit_and_only_secure_chains_are_dnssec) {
    Zone z;
    z.mx("big.example", {{10, "a.big.example"}, {20, "b.big.example"}});
    z.a("a.big.example", {"192.0.2.1", "192.0.2.2", "192.0.2.3"});
    z.a("b.big.example", {"192.0.2.4", "192.0.2.5"});
    NextHopOptions o;
    o.address_limit = 4;
    auto r = resolve(z, mx_of("big.example"), o);
    BOOST_TEST(r.targets.size() == 4u);
    BOOST_TEST(z.asked.size() == 5u, "b's AAAA and A are looked up, nothing after the limit");

    Zone mixed;
    mixed.security = DnsSecurity::insecure;
    mixed.mx("mixed.example", {{10, "mx.signed.example"}});
    mixed.security = DnsSecurity::secure;
    mixed.a("mx.signed.example", {"192.0.2.8"});
    r = resolve(mixed, mx_of("mixed.example"));
    BOOST_TEST(!r.mx_secure);
    BOOST_TEST(!r.targets.at(0).dnssec, "a secure address under an insecure MX answer is not a secure chain");
}
