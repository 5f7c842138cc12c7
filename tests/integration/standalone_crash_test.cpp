// Durability of the standalone queue (docs/design.md decision 3): clients stream messages and record
// every "250 ... queued as"; mailwarden is killed with SIGKILL at random moments and restarted,
// several times. Afterwards every acknowledged message must be in its Maildir, complete: zero lost
// (duplicates are allowed: delivery is at-least-once).
#define BOOST_TEST_MODULE standalone_crash
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "support/smtp_session.hpp"
#include "support/standalone_world.hpp"

using namespace mw::itest;

namespace {

constexpr int clients = 4;
constexpr int kill_rounds = 5;

struct Acks {
    std::mutex mutex;
    std::set<std::string> tokens;  // the unique token of every acknowledged message
    std::atomic<int> refused{0};   // 4xx answers and broken connections: the client would retry
};

// One client: sessions of up to 20 messages each, until told to stop; a dead server just means
// trying again a little later.
void stream(std::uint16_t port, int client, std::atomic<bool>& stop, Acks& acks) {
    int n = 0;
    while (!stop) {
        try {
            SmtpSession s("127.0.0.1", port);
            s.command("EHLO crash-client.example");
            for (int i = 0; i < 20 && !stop; ++i) {
                std::string token = "crash-" + std::to_string(client) + "-" + std::to_string(n++);
                if (s.command("MAIL FROM:<load@elsewhere.example>") != "250 2.1.0 Ok") break;
                if (s.command("RCPT TO:<bob@example.com>") != "250 2.1.5 Ok") break;
                std::string body = "Subject: " + token + "\nMessage-ID: <" + token + "@elsewhere.example>\n\n";
                for (int line = 0; line < 40; ++line) body += "line " + std::to_string(line) + " of " + token + "\n";
                body += "end-of-" + token + "\n";
                std::string reply = s.send_data(body);
                if (reply.rfind("250 2.0.0 Ok: queued as ", 0) == 0) {
                    std::lock_guard lock(acks.mutex);
                    acks.tokens.insert(token);
                } else {
                    acks.refused++;
                }
            }
        } catch (const std::exception&) {
            acks.refused++;
            std::this_thread::sleep_for(50ms);
        }
    }
}

}  // namespace

BOOST_AUTO_TEST_CASE(no_acknowledged_message_is_lost_across_sigkill) {
    mw::test::TempDir pki_dir{"pki"};
    Pki pki{pki_dir.path()};
    mw::test::TempDir dir{"sc"};
    StandaloneWorld mta{dir.path() / "mta", pki};
    mta.daemon().start();

    Acks acks;
    std::atomic<bool> stop{false};
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c)
        threads.emplace_back([&, c] { stream(mta.smtp_port(), c, stop, acks); });

    std::mt19937 random(std::random_device{}());
    std::uniform_int_distribution<int> pause_ms(300, 1500);
    for (int round = 0; round < kill_rounds; ++round) {
        std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms(random)));
        mta.daemon().kill_hard();
        std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms(random) / 5));
        mta.daemon().start();
    }
    std::this_thread::sleep_for(500ms);
    stop = true;
    for (auto& t : threads) t.join();

    std::set<std::string> acked;
    {
        std::lock_guard lock(acks.mutex);
        acked = acks.tokens;
    }
    BOOST_TEST_MESSAGE(acked.size() << " messages acknowledged, " << acks.refused.load()
                                    << " attempts refused or cut off by a kill");
    BOOST_TEST(acked.size() > 50u, "too few messages got through to test anything");

    // Every acknowledged message arrives, complete (its last line is there).
    std::set<std::string> delivered;
    auto deadline = std::chrono::steady_clock::now() + 90s;
    while (std::chrono::steady_clock::now() < deadline) {
        delivered.clear();
        for (const auto& m : mta.mailbox("bob")) {
            auto at = m.find("Subject: crash-");
            if (at == std::string::npos) continue;
            std::string token = m.substr(at + 9, m.find('\n', at) - at - 9);
            BOOST_TEST(m.find("end-of-" + token + "\n") != std::string::npos, "incomplete delivery of " << token);
            delivered.insert(token);
        }
        bool all = std::includes(delivered.begin(), delivered.end(), acked.begin(), acked.end());
        if (all) break;
        std::this_thread::sleep_for(200ms);
    }
    std::size_t lost = 0;
    for (const auto& t : acked)
        if (!delivered.count(t)) {
            ++lost;
            BOOST_TEST_MESSAGE("lost: " << t);
        }
    BOOST_TEST(lost == 0u, lost << " of " << acked.size() << " acknowledged messages lost");
    BOOST_TEST_MESSAGE(delivered.size() << " distinct messages delivered (" << mta.mailbox("bob").size() << " files)");
    BOOST_TEST(mta.daemon().stop() == 0);
}
