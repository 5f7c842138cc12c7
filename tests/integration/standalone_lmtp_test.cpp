// Standalone delivery through LMTP to a real, private Dovecot: accepted mail reaches the Dovecot
// Maildir, and a recipient Dovecot refuses gets the sender an RFC 3464 bounce (itself delivered
// through Dovecot).
#define BOOST_TEST_MODULE standalone_lmtp
#include <boost/test/unit_test.hpp>

#include <thread>

#include "support/dovecot_lmtp.hpp"
#include "support/standalone_world.hpp"
#include "support/swaks.hpp"

using namespace mw::itest;

namespace {

std::optional<std::string> wait_for(const DovecotLmtp& dovecot, const std::string& user, const std::string& needle) {
    auto deadline = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < deadline) {
        for (const auto& m : dovecot.mailbox(user))
            if (m.find(needle) != std::string::npos) return m;
        std::this_thread::sleep_for(100ms);
    }
    return std::nullopt;
}

}  // namespace

BOOST_AUTO_TEST_CASE(delivery_through_dovecot_lmtp_and_a_bounce_for_a_refused_recipient) {
    mw::test::TempDir pki_dir{"pki"};
    Pki pki{pki_dir.path()};
    mw::test::TempDir dir{"sl"};
    // Dovecot knows alice and bob; teacher@example.com is in the rules' recipient list but not in
    // Dovecot: mailwarden accepts it, Dovecot refuses it at delivery.
    DovecotLmtp dovecot(dir.path() / "dc", {"alice", "bob"});
    StandaloneOptions options;
    options.lmtp = "unix:" + dovecot.socket().string();
    StandaloneWorld mta(dir.path() / "mta", pki, options);
    mta.daemon().start();

    auto o = mta.submission("alice", "alice-secret", {"bob@example.com", "teacher@example.com"});
    o.headers = {"Subject: lmtp-1"};
    auto r = swaks(o);
    BOOST_TEST(r.status == 0, r.transcript);
    std::string id = r.queue_id();

    auto delivered = wait_for(dovecot, "bob", "Subject: lmtp-1");
    BOOST_REQUIRE_MESSAGE(delivered, dovecot.log() << mta.daemon().log());
    BOOST_TEST(delivered->find("Return-Path: <alice@example.com>") != std::string::npos, *delivered);
    BOOST_TEST(delivered->find("X-Mailwarden-AuthAs: Authenticated") != std::string::npos, *delivered);

    auto bounce = wait_for(dovecot, "alice", "Undelivered Mail Returned to Sender");
    BOOST_REQUIRE_MESSAGE(bounce, mta.daemon().log());
    BOOST_TEST(bounce->find("Return-Path: <>") != std::string::npos, *bounce);
    BOOST_TEST(bounce->find("report-type=delivery-status") != std::string::npos, *bounce);
    BOOST_TEST(bounce->find("Final-Recipient: rfc822; teacher@example.com") != std::string::npos, *bounce);
    BOOST_TEST(bounce->find("Action: failed") != std::string::npos, *bounce);
    BOOST_TEST(bounce->find("Status: 5.1.1") != std::string::npos, *bounce);
    BOOST_TEST(bounce->find("Subject: lmtp-1") != std::string::npos, "the original message comes back: " << *bounce);
    BOOST_TEST(mta.daemon().wait_log(id + ": to=<teacher@example.com>"), mta.daemon().log());
    BOOST_TEST(mta.daemon().log().find("status=bounced") != std::string::npos, mta.daemon().log());
}
