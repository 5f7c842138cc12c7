// Outbound connection limits: in total and per destination, and slow start (a destination's window
// opens by one per delivered transaction up to its limit, and closes by one per failed connection).
#define BOOST_TEST_MODULE smtp delivery connection limits
#include <boost/test/unit_test.hpp>

#include <thread>

#include "smtp/delivery/connection_limits.hpp"

using namespace mw::smtp::delivery;
using Clock = ConnectionLimits::Clock;

namespace {
Clock::time_point now() { return Clock::now(); }
}  // namespace

BOOST_AUTO_TEST_CASE(slow_start_opens_on_success_up_to_the_limit) {
    ConnectionLimits limits({100, 4, 2});
    BOOST_TEST(limits.window("example.com") == 2u);
    BOOST_TEST(limits.acquire("example.com", now()));
    BOOST_TEST(limits.acquire("example.com", now()));
    BOOST_TEST(!limits.acquire("example.com", now()));  // the window is full
    BOOST_TEST(limits.acquire("example.net", now()));   // another destination has its own
    limits.succeeded("example.com");
    BOOST_TEST(limits.window("example.com") == 3u);
    BOOST_TEST(limits.acquire("example.com", now()));
    for (int i = 0; i < 10; ++i) limits.succeeded("example.com");
    BOOST_TEST(limits.window("example.com") == 4u);  // never past max_per_destination
    BOOST_TEST(limits.acquire("example.com", now()));
    BOOST_TEST(!limits.acquire("example.com", now()));
    BOOST_TEST(limits.open("example.com") == 4u);
    BOOST_TEST(limits.open_total() == 5u);
}

BOOST_AUTO_TEST_CASE(failures_close_the_window_down_to_one) {
    ConnectionLimits limits({100, 10, 5});
    limits.failed("down.example");
    limits.failed("down.example");
    BOOST_TEST(limits.window("down.example") == 3u);
    for (int i = 0; i < 10; ++i) limits.failed("down.example");
    BOOST_TEST(limits.window("down.example") == 1u);  // one connection is always allowed
    BOOST_TEST(limits.acquire("down.example", now()));
    BOOST_TEST(!limits.acquire("down.example", now()));
}

BOOST_AUTO_TEST_CASE(the_total_limit_holds_across_destinations) {
    ConnectionLimits limits({3, 10, 10});
    BOOST_TEST(limits.acquire("a.example", now()));
    BOOST_TEST(limits.acquire("b.example", now()));
    BOOST_TEST(limits.acquire("c.example", now()));
    BOOST_TEST(!limits.acquire("d.example", now()));
    BOOST_TEST(!limits.available("d.example"));
    limits.release("b.example");
    BOOST_TEST(limits.available("d.example"));
    BOOST_TEST(limits.acquire("d.example", now()));
    BOOST_TEST(limits.open_total() == 3u);
}

BOOST_AUTO_TEST_CASE(a_waiting_acquire_gets_the_slot_another_releases) {
    ConnectionLimits limits({100, 1, 1});
    BOOST_TEST(limits.acquire("example.com", now()));
    std::thread releaser([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        limits.release("example.com");
    });
    const bool got = limits.acquire("example.com", now() + std::chrono::seconds(30));
    releaser.join();
    BOOST_TEST(got);
    BOOST_TEST(limits.open("example.com") == 1u);
}

BOOST_AUTO_TEST_CASE(a_slot_is_released_once_by_its_holder) {
    ConnectionLimits limits({100, 2, 2});
    {
        BOOST_TEST(limits.acquire("example.com", now()));
        ConnectionSlot slot(&limits, "example.com");
        ConnectionSlot moved = std::move(slot);
        BOOST_TEST(!slot);
        BOOST_TEST(static_cast<bool>(moved));
        BOOST_TEST(limits.open("example.com") == 1u);
    }
    BOOST_TEST(limits.open("example.com") == 0u);
    BOOST_TEST(limits.open_total() == 0u);
}
