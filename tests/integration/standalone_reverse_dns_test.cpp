// Reverse DNS of inbound clients in standalone mode (README "Reverse DNS"), against a private signed
// DNS tree: swaks connects from 127.0.77.x, whose PTR records the rig serves. A confirmed name reaches
// the log and Received:, a PTR whose name does not resolve back is "unknown" with Postfix's warning,
// and a connector with reverse_dns = "require" refuses unconfirmed clients at MAIL.
#define BOOST_TEST_MODULE standalone_reverse_dns
#include <boost/test/unit_test.hpp>

#include <memory>

#include "support/dns_rig.hpp"
#include "support/standalone_world.hpp"
#include "support/swaks.hpp"

using namespace mw::itest;

namespace {

// .10 has a PTR confirmed by its A record; .11 claims a name whose A record is another address;
// .12 has no PTR at all.
std::vector<DnsZone> zones() {
    return {
        {"test.", ""},
        {"secure.test.", "mx1 A 127.0.77.10\nliar A 127.0.77.99\n"},
        {"77.0.127.in-addr.arpa.", "10 PTR mx1.secure.test.\n11 PTR liar.secure.test.\n"},
    };
}

struct Rig {
    mw::test::TempDir pki_dir{"pki"};
    Pki pki{pki_dir.path()};
    mw::test::TempDir dir{"rdns"};
    DnsRig dns{dir.path() / "dns", zones()};
};
Rig& rig() {
    static Rig r;
    return r;
}

std::unique_ptr<StandaloneWorld> world(const std::string& name, const std::string& reverse_dns) {
    StandaloneOptions o;
    o.reverse_dns = reverse_dns;
    o.dns = rig().dns.dns_section();
    auto w = std::make_unique<StandaloneWorld>(rig().dir.path() / name, rig().pki, o);
    w->daemon().start();
    return w;
}

SwaksOptions from_address(const StandaloneWorld& w, const std::string& address, const std::string& subject) {
    SwaksOptions s = w.internet("someone@elsewhere.example", {"bob@example.com"});
    s.extra_args = {"--local-interface", address};
    s.headers = {"Subject: " + subject};
    return s;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_confirmed_name_reaches_the_log_and_received) {
    auto w = world("lookup", "lookup");
    auto r = swaks(from_address(*w, "127.0.77.10", "rdns confirmed"));
    BOOST_TEST_REQUIRE(r.status == 0, r.transcript << w->daemon().log());
    BOOST_TEST(w->daemon().wait_log("connect from mx1.secure.test[127.0.77.10] to connector Internet"), w->daemon().log());
    auto m = w->wait_message("bob", "rdns confirmed");
    BOOST_TEST_REQUIRE(m.has_value(), w->daemon().log());
    BOOST_TEST(m->find("Received: from client.example (mx1.secure.test [127.0.77.10])") != std::string::npos, *m);
}

BOOST_AUTO_TEST_CASE(a_name_that_does_not_resolve_back_is_unknown_with_a_warning) {
    auto w = world("liar", "lookup");
    auto r = swaks(from_address(*w, "127.0.77.11", "rdns liar"));
    BOOST_TEST_REQUIRE(r.status == 0, r.transcript << w->daemon().log());
    BOOST_TEST(w->daemon().wait_log("warning: hostname liar.secure.test does not resolve to address 127.0.77.11"),
               w->daemon().log());
    BOOST_TEST(w->daemon().wait_log("connect from unknown[127.0.77.11] to connector Internet"), w->daemon().log());
    auto m = w->wait_message("bob", "rdns liar");
    BOOST_TEST_REQUIRE(m.has_value(), w->daemon().log());
    BOOST_TEST(m->find("Received: from client.example (unknown [127.0.77.11])") != std::string::npos, *m);
    BOOST_TEST(m->find("liar.secure.test") == std::string::npos, *m);

    // No PTR at all: unknown, and no warning (there is no name to complain about).
    auto none = swaks(from_address(*w, "127.0.77.12", "rdns none"));
    BOOST_TEST_REQUIRE(none.status == 0, none.transcript);
    BOOST_TEST(w->daemon().wait_log("connect from unknown[127.0.77.12] to connector Internet"), w->daemon().log());
    BOOST_TEST(w->daemon().log().find("127.0.77.12: hostname") == std::string::npos, w->daemon().log());
}

BOOST_AUTO_TEST_CASE(require_refuses_unconfirmed_clients_at_mail) {
    auto w = world("require", "require");
    auto refused = swaks(from_address(*w, "127.0.77.11", "rdns require liar"));
    BOOST_TEST(refused.status == 23, refused.transcript);
    BOOST_TEST(refused.mail_reply() == "450 4.7.25 Client host rejected: cannot find your hostname", refused.transcript);
    BOOST_TEST(w->daemon().wait_log("NOQUEUE: tempfail: MAIL from unknown[127.0.77.11]: 450 4.7.25 Client host rejected: "
                                    "cannot find your hostname; rule=\"connector Internet: reverse_dns require\""),
               w->daemon().log());

    auto accepted = swaks(from_address(*w, "127.0.77.10", "rdns require confirmed"));
    BOOST_TEST(accepted.status == 0, accepted.transcript << w->daemon().log());
    BOOST_TEST(w->wait_message("bob", "rdns require confirmed").has_value(), w->daemon().log());
}
