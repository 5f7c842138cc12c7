// Kept SMTP sessions: one is handed out only for the same server, TLS policy, next-hop names,
// send connector and login; the oldest goes when the cache is full, idle ones expire, and
// eviction frees a destination's slot.
#define BOOST_TEST_MODULE smtp delivery session cache
#include <boost/test/unit_test.hpp>

#include "smtp/delivery/session_cache.hpp"

using namespace mw::smtp::delivery;
namespace asio = boost::asio;
using Clock = SessionCache::Clock;

namespace {

DeliveryTarget target(const std::string& address) { return DeliveryTarget{"mx.example.net", address, 25, 10, false}; }

SessionKey key(const std::string& address) {
    SessionKey k;
    k.target = target(address);
    k.tls.level = mw::policy::OutboundTls::Level::may;
    k.next_hop_domain = "example.net";
    k.send_connector = "Internet";
    return k;
}

struct Fixture {
    asio::io_context io;
    ConnectionLimits limits{{100, 10, 10}};
    std::unique_ptr<OpenSession> session(const SessionKey& k, const std::string& destination = "example.net") {
        BOOST_TEST_REQUIRE(limits.acquire(destination, Clock::now()));
        auto s = std::make_unique<OpenSession>(io.get_executor(), "mx.example.net", ConnectionSlot(&limits, destination));
        s->key = k;
        s->destination = destination;
        return s;
    }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(session_cache, Fixture)

BOOST_AUTO_TEST_CASE(a_session_goes_only_to_a_transaction_with_the_same_key) {
    SessionCache cache(4, std::chrono::seconds(2));
    const auto now = Clock::now();
    cache.put(session(key("192.0.2.1")), now);
    const std::vector<DeliveryTarget> targets{target("192.0.2.9"), target("192.0.2.1")};

    SessionKey stronger = key("192.0.2.1");
    stronger.tls.level = mw::policy::OutboundTls::Level::verify;
    BOOST_TEST(!cache.take(targets, stronger));  // opened under a weaker policy
    SessionKey login = key("192.0.2.1");
    login.login = std::string("user") + '\0' + "secret";
    BOOST_TEST(!cache.take(targets, login));
    SessionKey other_connector = key("192.0.2.1");
    other_connector.send_connector = "Partners";
    BOOST_TEST(!cache.take(targets, other_connector));
    SessionKey other_names = key("192.0.2.1");
    other_names.next_hop_domain = "example.org";
    BOOST_TEST(!cache.take(targets, other_names));
    BOOST_TEST(!cache.take({target("192.0.2.9")}, key("")));  // not one of the targets

    auto taken = cache.take(targets, key(""));  // any target of the list, the key otherwise equal
    BOOST_TEST_REQUIRE(taken != nullptr);
    BOOST_TEST(taken->key.target.address == "192.0.2.1");
    BOOST_TEST(cache.size() == 0u);
}

BOOST_AUTO_TEST_CASE(the_oldest_goes_when_full_and_idle_ones_expire_freeing_their_slots) {
    SessionCache cache(2, std::chrono::seconds(2));
    const auto now = Clock::now();
    cache.put(session(key("192.0.2.1")), now);
    cache.put(session(key("192.0.2.2")), now + std::chrono::seconds(1));
    cache.put(session(key("192.0.2.3")), now + std::chrono::seconds(1));
    BOOST_TEST(cache.size() == 2u);
    BOOST_TEST(limits.open("example.net") == 2u);  // the oldest one's slot was released
    BOOST_TEST(!cache.take({target("192.0.2.1")}, key("")));
    BOOST_TEST(cache.expire(now + std::chrono::milliseconds(2500)) == 0u);
    BOOST_TEST(cache.expire(now + std::chrono::milliseconds(3500)) == 2u);
    BOOST_TEST(limits.open_total() == 0u);
}

BOOST_AUTO_TEST_CASE(eviction_is_by_destination) {
    SessionCache cache(4, std::chrono::seconds(2));
    const auto now = Clock::now();
    cache.put(session(key("192.0.2.1"), "example.net"), now);
    cache.put(session(key("192.0.2.2"), "example.org"), now);
    BOOST_TEST(cache.holds("example.org"));
    BOOST_TEST(!cache.evict("example.com"));
    BOOST_TEST(cache.evict("example.org"));
    BOOST_TEST(!cache.holds("example.org"));
    BOOST_TEST(limits.open("example.org") == 0u);
    BOOST_TEST(limits.open("example.net") == 1u);
    BOOST_TEST(cache.evict(""));  // any
    BOOST_TEST(cache.size() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
