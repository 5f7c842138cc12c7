// Stopping the standalone MTA cleanly (SIGTERM, as systemd does): the next start finds nothing to
// recover.
#define BOOST_TEST_MODULE standalone_shutdown
#include <boost/test/unit_test.hpp>

#include <filesystem>

#include "support/standalone_world.hpp"
#include "support/swaks.hpp"

using namespace mw::itest;
namespace fs = std::filesystem;

namespace {

struct World {
    mw::test::TempDir pki_dir{"pki"};
    Pki pki{pki_dir.path()};
    mw::test::TempDir dir{"sd"};
    StandaloneWorld mta{dir.path() / "mta", pki};
    World() { mta.daemon().start(); }
};

}  // namespace

BOOST_AUTO_TEST_CASE(a_clean_stop_leaves_nothing_for_the_next_start_to_recover) {
    World w;
    auto& daemon = w.mta.daemon();
    auto o = w.mta.internet("someone@elsewhere.example", {"bob@example.com"});
    o.headers = {"Subject: before-stop-1"};
    auto r = swaks(o);
    BOOST_TEST(r.status == 0, r.transcript);
    std::string id = r.queue_id();
    BOOST_TEST_REQUIRE(w.mta.wait_message("bob", "Subject: before-stop-1").has_value());
    BOOST_TEST_REQUIRE(daemon.wait_log(id + ": to=<bob@example.com>"), daemon.log());
    BOOST_TEST(daemon.stop() == 0);

    std::size_t mark = daemon.log_size();
    daemon.start();
    std::string log = daemon.log().substr(mark);
    BOOST_TEST(log.find("queue:") == std::string::npos, log);
    BOOST_TEST(log.find("segment") == std::string::npos, log);
    // Still a working queue.
    o.headers = {"Subject: after-restart-1"};
    BOOST_TEST(swaks(o).status == 0);
    BOOST_TEST(w.mta.wait_message("bob", "Subject: after-restart-1").has_value());
}
