// The reload holder: a session keeps the snapshot it pinned; a swap publishes a complete new one.
#define BOOST_TEST_MODULE ruleset_holder
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include "policy/ruleset_holder.hpp"

using mw::policy::Ruleset;
using mw::policy::RulesetHolder;

namespace {
std::shared_ptr<const Ruleset> rules_named(const std::string& hostname) {
    auto r = std::make_shared<Ruleset>();
    r->organization.hostname = hostname;
    return r;
}
}  // namespace

BOOST_AUTO_TEST_CASE(a_pinned_snapshot_survives_a_swap) {
    RulesetHolder holder(rules_named("old.example"));
    BOOST_TEST(holder.generation() == 1u);
    auto session = holder.snapshot();  // a session in flight
    BOOST_TEST(holder.replace(rules_named("new.example")) == 2u);
    BOOST_TEST(holder.generation() == 2u);
    BOOST_TEST(session->organization.hostname == "old.example");
    BOOST_TEST(holder.snapshot()->organization.hostname == "new.example");
}

BOOST_AUTO_TEST_CASE(readers_never_see_a_half_swapped_ruleset) {
    auto first = std::make_shared<Ruleset>();
    first->organization.hostname = first->organization.authserv_id = "gen-0.example";
    RulesetHolder holder(first);
    std::atomic<bool> stop{false};
    std::atomic<int> bad{0};
    std::vector<std::thread> readers;
    for (int t = 0; t < 2; ++t)
        readers.emplace_back([&] {
            while (!stop.load()) {
                auto snap = holder.snapshot();
                // Each published Ruleset is complete: its two fields always agree.
                if (snap->organization.hostname != snap->organization.authserv_id) ++bad;
            }
        });
    for (int i = 1; i <= 2000; ++i) {
        auto r = std::make_shared<Ruleset>();
        r->organization.hostname = "gen-" + std::to_string(i) + ".example";
        r->organization.authserv_id = r->organization.hostname;
        holder.replace(std::move(r));
    }
    stop = true;
    for (auto& t : readers) t.join();
    BOOST_TEST(bad.load() == 0);
    BOOST_TEST(holder.generation() == 2001u);
}
