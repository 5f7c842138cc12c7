// The Direct Trust hand-off store: keys, expiry, the bound, and what the milter makes of an entry.
#define BOOST_TEST_MODULE cert_handoff
#include <boost/test/unit_test.hpp>

#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "postfix/cert_handoff.hpp"

namespace mw::postfix {
// Boost.Test prints the operands of a failed comparison.
inline std::ostream& operator<<(std::ostream& out, const ConnectionKey& k) {
    return out << k.client_address.to_string() << ":" << k.client_port << " -> " << k.server_address.to_string() << ":"
               << k.server_port;
}
}  // namespace mw::postfix

using namespace mw;
using namespace mw::postfix;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

const std::string pin = "ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789";
const Clock::time_point t0 = Clock::time_point() + 1000h;  // any fixed point: the clock is injected

ConnectionKey key(std::string_view client, std::string_view cport, std::string_view server, std::string_view sport) {
    auto k = make_connection_key(client, cport, server, sport);
    BOOST_TEST_REQUIRE(k.has_value(), client << ":" << cport << " -> " << server << ":" << sport);
    return *k;
}

ConnectionKey key(int client_port) {
    return key("198.51.100.7", std::to_string(client_port), "192.0.2.1", "25");
}

Handoff with_pin(Clock::time_point at, std::optional<std::string> sha256 = pin) {
    Handoff h;
    h.tls = true;
    h.certificate = sha256.has_value();
    h.sha256 = std::move(sha256);
    h.recorded = at;
    return h;
}

}  // namespace

BOOST_AUTO_TEST_CASE(ports) {
    BOOST_TEST(parse_port("25").value_or(0) == 25);
    BOOST_TEST(parse_port("0").has_value());
    BOOST_TEST(parse_port("65535").value_or(0) == 65535);
    BOOST_TEST(!parse_port("65536"));
    BOOST_TEST(!parse_port(""));
    BOOST_TEST(!parse_port("-1"));
    BOOST_TEST(!parse_port("+25"));
    BOOST_TEST(!parse_port(" 25"));
    BOOST_TEST(!parse_port("100000"));
}

BOOST_AUTO_TEST_CASE(keys_need_all_four_values) {
    BOOST_TEST(make_connection_key("198.51.100.7", "40000", "192.0.2.1", "25").has_value());
    BOOST_TEST(!make_connection_key("", "40000", "192.0.2.1", "25"));
    BOOST_TEST(!make_connection_key("198.51.100.7", "", "192.0.2.1", "25"));
    BOOST_TEST(!make_connection_key("198.51.100.7", "40000", "unknown", "25"));
    BOOST_TEST(!make_connection_key("198.51.100.7", "40000", "192.0.2.1", "smtp"));
}

BOOST_AUTO_TEST_CASE(key_normalization) {
    // IPv4-mapped IPv6 (a dual-stack socket) and plain IPv4 are one client.
    BOOST_TEST(key("::ffff:198.51.100.7", "40000", "::ffff:192.0.2.1", "25") == key(40000));
    BOOST_TEST(key("::FFFF:c633:6407", "40000", "192.0.2.1", "25") == key(40000));
    // Postfix's policy protocol writes IPv6 bare; milter macros may bracket or tag it.
    auto bare = key("2001:db8::7", "40000", "2001:db8::1", "25");
    BOOST_TEST(key("[2001:db8::7]", "40000", "[2001:db8::1]", "25") == bare);
    BOOST_TEST(key("IPv6:2001:DB8:0:0::7", "40000", "2001:db8:0:0:0:0:0:1", "25") == bare);
    // Every value counts.
    BOOST_TEST(!(key(40001) == key(40000)));
    BOOST_TEST(!(key("198.51.100.8", "40000", "192.0.2.1", "25") == key(40000)));
    BOOST_TEST(!(key("198.51.100.7", "40000", "192.0.2.2", "25") == key(40000)));
    BOOST_TEST(!(key("198.51.100.7", "40000", "192.0.2.1", "587") == key(40000)));
    BOOST_TEST(!(key("::198.51.100.7", "40000", "192.0.2.1", "25") == key(40000)));  // IPv4-compatible is not mapped
}

BOOST_AUTO_TEST_CASE(record_and_find) {
    CertHandoff store;
    BOOST_TEST(!store.find(key(40000), t0).has_value());
    store.record(key(40000), with_pin(t0));
    auto found = store.find(key("::ffff:198.51.100.7", "40000", "192.0.2.1", "25"), t0 + 1s);
    BOOST_TEST_REQUIRE(found.has_value());
    BOOST_TEST(found->tls);
    BOOST_TEST(found->certificate);
    BOOST_TEST(found->sha256.value_or("") == pin);
    BOOST_TEST((found->recorded == t0));
    // Reading does not consume: every RCPT of the session reads it.
    BOOST_TEST(store.find(key(40000), t0 + 2s).has_value());
    BOOST_TEST(!store.find(key(40001), t0).has_value());

    // Recording again replaces: the later RCPT's facts win.
    store.record(key(40000), with_pin(t0 + 5s, std::nullopt));
    found = store.find(key(40000), t0 + 5s);
    BOOST_TEST_REQUIRE(found.has_value());
    BOOST_TEST(!found->sha256.has_value());
    BOOST_TEST(!found->certificate);
    BOOST_TEST(found->tls);
    BOOST_TEST(store.size() == 1u);

    store.forget(key(40000));
    BOOST_TEST(!store.find(key(40000), t0 + 5s).has_value());
    BOOST_TEST(store.size() == 0u);
    store.forget(key(40000));  // forgetting twice is harmless
}

BOOST_AUTO_TEST_CASE(no_tls_is_recorded_as_a_fact) {
    CertHandoff store;
    Handoff plain;
    plain.recorded = t0;
    store.record(key(40000), plain);
    auto found = store.find(key(40000), t0);
    BOOST_TEST_REQUIRE(found.has_value());
    BOOST_TEST(!found->tls);
    BOOST_TEST(!found->certificate);
    BOOST_TEST(!found->sha256.has_value());
}

BOOST_AUTO_TEST_CASE(entries_expire) {
    CertHandoff store;  // default ttl: 10 minutes
    store.record(key(40000), with_pin(t0));
    BOOST_TEST(store.find(key(40000), t0 + 10min).has_value());  // at the ttl: still valid
    BOOST_TEST(!store.find(key(40000), t0 + 10min + 1ns).has_value());
    BOOST_TEST(store.size() == 0u);  // dropped when found expired
    // A refresh restarts the ttl.
    store.record(key(40001), with_pin(t0));
    store.record(key(40001), with_pin(t0 + 9min));
    BOOST_TEST(store.find(key(40001), t0 + 18min).has_value());
}

BOOST_AUTO_TEST_CASE(expired_entries_are_dropped_by_later_records) {
    CertHandoff store(100, 60s);
    for (int p = 1; p <= 10; ++p) store.record(key(p), with_pin(t0));
    BOOST_TEST(store.size() == 10u);
    store.record(key(1000), with_pin(t0 + 61s));
    BOOST_TEST(store.size() == 1u);
    BOOST_TEST(store.find(key(1000), t0 + 61s).has_value());
}

BOOST_AUTO_TEST_CASE(bounded_oldest_evicted_first) {
    CertHandoff store(3, 600s);
    store.record(key(1), with_pin(t0));
    store.record(key(2), with_pin(t0 + 1s));
    store.record(key(3), with_pin(t0 + 2s));
    store.record(key(1), with_pin(t0 + 3s));  // refreshed: now the newest
    store.record(key(4), with_pin(t0 + 4s));  // full: evicts the oldest, 2
    BOOST_TEST(store.size() == 3u);
    BOOST_TEST(!store.find(key(2), t0 + 5s).has_value());
    BOOST_TEST(store.find(key(1), t0 + 5s).has_value());
    BOOST_TEST(store.find(key(3), t0 + 5s).has_value());
    BOOST_TEST(store.find(key(4), t0 + 5s).has_value());
}

BOOST_AUTO_TEST_CASE(a_flood_stays_within_the_default_bound) {
    CertHandoff store;
    for (int i = 0; i < 120'000; ++i) {
        auto k = key(std::to_string(i / 65536 + 1) + ".0." + std::to_string(i / 256 % 256) + "." + std::to_string(i % 256),
                     std::to_string(i % 65536), "192.0.2.1", "25");
        store.record(k, with_pin(t0 + std::chrono::milliseconds(i)));
    }
    BOOST_TEST(store.size() == CertHandoff::default_capacity);
    // The first 20,000 were evicted; the last one is there.
    BOOST_TEST(!store.find(key("1.0.0.0", "0", "192.0.2.1", "25"), t0 + 200s).has_value());
    BOOST_TEST(store.find(key("2.0.212.191", std::to_string(119'999 % 65536), "192.0.2.1", "25"), t0 + 200s).has_value());
}

BOOST_AUTO_TEST_CASE(concurrent_records_and_finds) {
    CertHandoff store(1000, 600s);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&store, t] {
            for (int i = 0; i < 5000; ++i) {
                auto k = make_connection_key("198.51.100." + std::to_string(t), std::to_string(i), "192.0.2.1", "25");
                store.record(*k, with_pin(t0));
                (void)store.find(*k, t0);
                if (i % 3 == 0) store.forget(*k);
            }
        });
    }
    for (auto& th : threads) th.join();
    BOOST_TEST(store.size() <= 1000u);
}

// --- what the milter does with an entry --------------------------------------------------------

namespace {
mw::policy::SessionFacts milter_facts(bool tls) {
    mw::policy::SessionFacts f;
    f.mta = mw::policy::Mta::postfix;
    if (tls) {
        f.tls = mw::policy::TlsFacts{};
        f.tls->version = "TLSv1.3";
    }
    return f;
}
}  // namespace

BOOST_AUTO_TEST_CASE(apply_creates_an_unverified_certificate_for_an_untrusted_one) {
    // Postfix sends milters {cert_subject} only for verified certificates: an untrusted one is known
    // to the milter by the hand-off's fingerprint alone.
    auto f = milter_facts(true);
    apply_handoff(f, with_pin(t0));
    BOOST_TEST_REQUIRE(f.tls->cert.has_value());
    BOOST_TEST(!f.tls->cert->verified);
    BOOST_TEST(f.tls->cert->subject == "");
    BOOST_TEST(f.tls->cert->sha256.value_or("") == pin);
}

BOOST_AUTO_TEST_CASE(apply_adds_the_fingerprint_to_a_verified_certificate) {
    auto f = milter_facts(true);
    f.tls->cert = mw::policy::PeerCertificate{};
    f.tls->cert->subject = "mx.pinned.example";
    f.tls->cert->issuer = "Test CA";
    f.tls->cert->verified = true;
    apply_handoff(f, with_pin(t0));
    BOOST_TEST(f.tls->cert->verified);
    BOOST_TEST(f.tls->cert->subject == "mx.pinned.example");
    BOOST_TEST(f.tls->cert->sha256.value_or("") == pin);
}

BOOST_AUTO_TEST_CASE(apply_without_fingerprint_clears_one_and_never_invents_tls) {
    auto f = milter_facts(true);
    f.tls->cert = mw::policy::PeerCertificate{};
    f.tls->cert->sha256 = pin;
    apply_handoff(f, with_pin(t0, std::nullopt));
    BOOST_TEST_REQUIRE(f.tls->cert.has_value());
    BOOST_TEST(!f.tls->cert->sha256.has_value());

    auto none = milter_facts(true);
    apply_handoff(none, with_pin(t0, std::nullopt));
    BOOST_TEST(!none.tls->cert.has_value());

    // The milter saw no TLS: a fingerprint does not make a TLS session out of it.
    auto plain = milter_facts(false);
    apply_handoff(plain, with_pin(t0));
    BOOST_TEST(!plain.tls.has_value());
}

BOOST_AUTO_TEST_CASE(handoff_from_facts) {
    auto f = milter_facts(true);
    f.tls->cert = mw::policy::PeerCertificate{};
    f.tls->cert->sha256 = pin;
    Handoff h = handoff_from(f, t0);
    BOOST_TEST(h.tls);
    BOOST_TEST(h.certificate);
    BOOST_TEST(h.sha256.value_or("") == pin);
    BOOST_TEST((h.recorded == t0));
    f.tls->cert->sha256.reset();  // a certificate whose fingerprint is not SHA-256
    h = handoff_from(f, t0);
    BOOST_TEST(h.certificate);
    BOOST_TEST(!h.sha256.has_value());
    h = handoff_from(milter_facts(false), t0);
    BOOST_TEST(!h.tls);
    BOOST_TEST(!h.certificate);
}
