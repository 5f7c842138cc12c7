#define BOOST_TEST_MODULE smtp delivery agent
#include <boost/test/unit_test.hpp>

#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include "peer_test_support.hpp"
#include "smtp/delivery/delivery_agent.hpp"
#include "smtp/delivery/delivery_schedule.hpp"
#include "smtp/delivery/lmtp_courier.hpp"
#include "smtp/delivery/maildir_courier.hpp"

using namespace mw::smtp::delivery;
namespace dt = mw::delivery_test;
namespace fs = std::filesystem;
namespace q = mw::smtp::queue;
using namespace std::chrono_literals;

namespace {

const std::string body = "Subject: test\r\nFrom: <alice@example.net>\r\n\r\nhello\r\n";
constexpr std::int64_t t0 = 1'700'000'000;

q::Recipient rcpt(const std::string& address, std::uint8_t notify = q::notify_default) {
    q::Recipient r;
    r.address = address;
    r.notify = notify;
    return r;
}

q::Envelope envelope(const std::string& sender, std::vector<q::Recipient> recipients, std::int64_t arrival = t0) {
    q::Envelope e;
    e.sender = sender;
    e.recipients = std::move(recipients);
    e.arrival = arrival;
    e.client = "client.example.net[192.0.2.1]";
    return e;
}

// An agent over a fake queue, with a clock the test moves.
struct Fixture {
    dt::TempDir dir{"agent"};
    dt::FakeQueue queue;
    std::atomic<std::int64_t> now{t0};
    std::mutex log_mutex;
    std::vector<std::string> lines;
    std::shared_ptr<const mw::policy::Ruleset> rules = dt::load_rules(dir, dt::delivery_rules);
    DeliveryConfig config;
    std::unique_ptr<DeliveryAgent> agent;

    Fixture() {
        fs::create_directories(dir.path() / "mail");
        config.maildir = (dir.path() / "mail").string() + "/{domain}/{user}/";
        config.hostname = "mx.example.com";
        config.retry_initial_s = 60;
        config.poll_interval_ms = 20;
        config.clock = [this] { return now.load(); };
    }
    ~Fixture() {
        if (agent) agent->stop();
    }
    void start() {
        agent = std::make_unique<DeliveryAgent>(queue, [this] { return rules; }, config, logger());
        agent->start();
    }
    void start(Couriers couriers) {
        agent = std::make_unique<DeliveryAgent>(queue, [this] { return rules; }, config, std::move(couriers), logger());
        agent->start();
    }
    LogFunction logger() {
        return [this](const std::string& line) {
            std::lock_guard lock(log_mutex);
            lines.push_back(line);
        };
    }
    std::string log() {
        std::lock_guard lock(log_mutex);
        std::string all;
        for (const auto& l : lines) all += l + "\n";
        return all;
    }
    bool logged(const std::string& text) { return log().find(text) != std::string::npos; }
    fs::path maildir(const std::string& user) { return dir.path() / "mail" / "example.com" / user; }
    // Messages in the queue with the null sender (our notifications).
    std::vector<q::MessageInfo> notifications() {
        std::vector<q::MessageInfo> out;
        auto queued = queue.list();
        for (auto& m : *queued)
            if (m.envelope.sender.empty()) out.push_back(m);
        for (auto& m : queue.removed())
            if (m.envelope.sender.empty()) out.push_back(m);
        return out;
    }
    void advance(std::int64_t seconds) {
        now += seconds;
        agent->wake();
    }
};

}  // namespace

BOOST_AUTO_TEST_CASE(schedule_and_notify_rules) {
    DeliveryConfig c;
    c.retry_initial_s = 300;
    c.retry_max_s = 3600;
    BOOST_TEST(retry_delay(c, 1) == 300);
    BOOST_TEST(retry_delay(c, 2) == 600);
    BOOST_TEST(retry_delay(c, 4) == 2400);
    BOOST_TEST(retry_delay(c, 5) == 3600);
    BOOST_TEST(retry_delay(c, 500) == 3600);
    // Exchange's intervals: first, second, third, then the last for every retry after.
    DeliveryConfig exchange = c;
    exchange.retry_intervals_s = {600, 600, 600, 900};
    BOOST_TEST(retry_delay(exchange, 1) == 600);
    BOOST_TEST(retry_delay(exchange, 3) == 600);
    BOOST_TEST(retry_delay(exchange, 4) == 900);
    BOOST_TEST(retry_delay(exchange, 40) == 900);
    auto e = envelope("alice@example.net", {});
    BOOST_TEST(wants_failure_notice(e, rcpt("a@x")));
    BOOST_TEST(wants_delay_notice(e, rcpt("a@x")));
    BOOST_TEST(!wants_success_notice(e, rcpt("a@x")));
    BOOST_TEST(!wants_failure_notice(e, rcpt("a@x", q::notify_never)));
    BOOST_TEST(!wants_failure_notice(e, rcpt("a@x", q::notify_success)));
    BOOST_TEST(wants_success_notice(e, rcpt("a@x", q::notify_success | q::notify_failure)));
    BOOST_TEST(!wants_delay_notice(e, rcpt("a@x", q::notify_failure)));
    auto null_sender = envelope("", {});
    BOOST_TEST(!wants_failure_notice(null_sender, rcpt("a@x")));
    BOOST_TEST(!wants_success_notice(null_sender, rcpt("a@x", q::notify_success)));
}

BOOST_AUTO_TEST_CASE(local_recipients_are_delivered_remote_ones_wait) {
    Fixture f;
    const auto only_local = f.queue.add(envelope("alice@example.net", {rcpt("Bob@Example.com")}), body);
    const auto mixed = f.queue.add(envelope("alice@example.net", {rcpt("carol@example.com"), rcpt("x@other.example")}), body);
    f.start();
    BOOST_TEST_REQUIRE(dt::wait_until([&] { return f.logged(mixed + ": to=<x@other.example>"); }), f.log());

    BOOST_TEST(!f.queue.get(only_local).has_value());  // every recipient done: removed
    auto files = dt::files_in(f.maildir("bob") / "new");
    BOOST_TEST_REQUIRE(files.size() == 1u);
    const std::string content = dt::read_file(files[0]);
    BOOST_TEST(content.starts_with("Return-Path: <alice@example.net>\nDelivered-To: Bob@Example.com\nSubject: test\n"));
    BOOST_TEST(dt::files_in(f.maildir("carol") / "new").size() == 1u);
    BOOST_TEST(f.logged(only_local + ": to=<Bob@Example.com>, relay=local, delay=0, dsn=2.0.0, status=sent (delivered to maildir)"), f.log());
    BOOST_TEST(f.logged(only_local + ": removed"));

    auto m = f.queue.get(mixed);
    BOOST_TEST_REQUIRE(m.has_value());
    BOOST_TEST((m->envelope.recipients[0].state == q::RecipientState::delivered));
    const auto& remote = m->envelope.recipients[1];
    BOOST_TEST((remote.state == q::RecipientState::pending));
    BOOST_TEST(remote.last_reply == "451 4.4.0 queued: outbound delivery is not available in this version");
    BOOST_TEST(m->next_attempt == t0 + 3600);
    BOOST_TEST(f.logged(mixed + ": to=<x@other.example>, relay=none, delay=0, dsn=4.4.0, status=deferred"), f.log());

    // Not retried in a tight loop: the agent keeps polling, but the message is not due.
    const int updates = f.queue.updates;
    std::this_thread::sleep_for(300ms);
    BOOST_TEST(f.queue.updates == updates);
    BOOST_TEST(dt::files_in(f.maildir("carol") / "new").size() == 1u);  // never delivered twice
    BOOST_TEST(f.notifications().empty());
}

BOOST_AUTO_TEST_CASE(a_permanent_failure_bounces_to_the_sender) {
    Fixture f;
    fs::create_directories(f.dir.path() / "mail" / "example.com");
    fs::create_directories(f.dir.path() / "elsewhere");
    fs::create_directory_symlink(f.dir.path() / "elsewhere", f.maildir("bob"));
    auto e = envelope("alice@example.net", {rcpt("bob@example.com"), rcpt("carol@example.com")});
    e.recipients[0].orcpt = "rfc822;bob@example.com";
    const auto id = f.queue.add(e, body);
    f.start();
    BOOST_TEST_REQUIRE(dt::wait_until([&] { return !f.queue.get(id).has_value(); }), f.log());

    auto removed = f.queue.removed();
    BOOST_TEST_REQUIRE(removed.size() >= 1u);
    BOOST_TEST(removed[0].id == id);
    BOOST_TEST((removed[0].envelope.recipients[0].state == q::RecipientState::failed));
    BOOST_TEST(removed[0].envelope.recipients[0].last_reply == "550 5.2.0 mailbox unavailable");
    BOOST_TEST((removed[0].envelope.recipients[1].state == q::RecipientState::delivered));
    BOOST_TEST(dt::files_in(f.dir.path() / "elsewhere").empty());
    BOOST_TEST(f.logged(id + ": to=<bob@example.com>, relay=local, delay=0, dsn=5.2.0, status=bounced (mailbox unavailable: "), f.log());

    auto bounces = f.notifications();
    BOOST_TEST_REQUIRE(bounces.size() == 1u);
    const auto& bounce = bounces[0];
    BOOST_TEST(bounce.envelope.sender == "");
    BOOST_TEST_REQUIRE(bounce.envelope.recipients.size() == 1u);
    BOOST_TEST(bounce.envelope.recipients[0].address == "alice@example.net");
    BOOST_TEST(f.logged(id + ": sender non-delivery notification: " + bounce.id), f.log());
    const std::string text = f.queue.body(bounce.id);
    BOOST_TEST(text.find("Subject: Undelivered Mail Returned to Sender") != std::string::npos);
    BOOST_TEST(text.find("Original-Recipient: rfc822; bob@example.com\r\nFinal-Recipient: rfc822; bob@example.com\r\n"
                         "Action: failed\r\nStatus: 5.2.0\r\n") != std::string::npos);
    BOOST_TEST(text.find("carol@example.com") == std::string::npos);  // delivered: not reported
    // The bounce itself waits for outbound delivery (alice is remote).
    BOOST_TEST(dt::wait_until([&] { return f.logged("to=<alice@example.net>, relay=none"); }), f.log());
}

BOOST_AUTO_TEST_CASE(no_bounce_for_the_null_sender_or_notify_never) {
    Fixture f;
    fs::create_directories(f.dir.path() / "mail" / "example.com");
    dt::TempDir elsewhere("elsewhere");
    fs::create_directory_symlink(elsewhere.path(), f.maildir("bob"));
    const auto a = f.queue.add(envelope("", {rcpt("bob@example.com")}), body);
    const auto b = f.queue.add(envelope("alice@example.net", {rcpt("bob@example.com", q::notify_never)}), body);
    const auto c = f.queue.add(envelope("alice@example.net", {rcpt("bob@example.com", q::notify_delay)}), body);
    f.start();
    BOOST_TEST_REQUIRE(dt::wait_until([&] { return *f.queue.size() == 0; }), f.log());
    BOOST_TEST(f.logged(a + ": to=<bob@example.com>, relay=local, delay=0, dsn=5.2.0, status=bounced"));
    BOOST_TEST(f.logged(b + ": to=<bob@example.com>, relay=local, delay=0, dsn=5.2.0, status=bounced"));
    BOOST_TEST(f.logged(c + ": to=<bob@example.com>, relay=local, delay=0, dsn=5.2.0, status=bounced"));
    BOOST_TEST(f.queue.removed().size() == 3u);  // a, b, c and nothing else
    BOOST_TEST(!f.logged("notification"));
}

BOOST_AUTO_TEST_CASE(a_temporary_failure_is_retried_later) {
    Fixture f;
    fs::remove(f.dir.path() / "mail");  // the template's prefix is missing: configuration error
    const auto id = f.queue.add(envelope("alice@example.net", {rcpt("bob@example.com")}), body);
    f.start();
    BOOST_TEST_REQUIRE(dt::wait_until([&] { return f.logged(id + ": to=<bob@example.com>"); }), f.log());
    auto m = f.queue.get(id);
    BOOST_TEST_REQUIRE(m.has_value());
    BOOST_TEST((m->envelope.recipients[0].state == q::RecipientState::pending));
    BOOST_TEST(m->envelope.recipients[0].attempts == 1u);
    BOOST_TEST(m->envelope.recipients[0].last_reply == "451 4.3.5 mail system configuration error");
    BOOST_TEST(m->next_attempt == t0 + 60);
    BOOST_TEST(f.logged(id + ": to=<bob@example.com>, relay=local, delay=0, dsn=4.3.5, status=deferred"), f.log());

    fs::create_directories(f.dir.path() / "mail");
    f.advance(30);  // not due yet
    std::this_thread::sleep_for(200ms);
    BOOST_TEST(f.queue.get(id).has_value());
    f.advance(31);
    BOOST_TEST_REQUIRE(dt::wait_until([&] { return !f.queue.get(id).has_value(); }), f.log());
    BOOST_TEST(dt::files_in(f.maildir("bob") / "new").size() == 1u);
    BOOST_TEST(f.logged(id + ": to=<bob@example.com>, relay=local, delay=61, dsn=2.0.0, status=sent"), f.log());
    BOOST_TEST(f.notifications().empty());
}

BOOST_AUTO_TEST_CASE(an_expired_message_bounces) {
    Fixture f;
    const auto id = f.queue.add(
        envelope("alice@example.net", {rcpt("x@other.example")}, t0 - f.config.queue_lifetime_s - 1), body);
    f.start();
    BOOST_TEST_REQUIRE(dt::wait_until([&] { return !f.queue.get(id).has_value(); }), f.log());
    auto removed = f.queue.removed();
    BOOST_TEST_REQUIRE(!removed.empty());
    BOOST_TEST((removed[0].envelope.recipients[0].state == q::RecipientState::failed));
    BOOST_TEST(f.logged(id + ": to=<x@other.example>, relay=none, delay=432001, dsn=4.4.7, status=bounced (message expired"),
               f.log());
    auto bounces = f.notifications();
    BOOST_TEST_REQUIRE(bounces.size() == 1u);
    const std::string text = f.queue.body(bounces[0].id);
    BOOST_TEST(text.find("Action: failed\r\nStatus: 4.4.7\r\nDiagnostic-Code: smtp; 451 4.4.0 queued") != std::string::npos,
               text);
}

BOOST_AUTO_TEST_CASE(a_delay_warning_is_sent_once) {
    Fixture f;
    const auto id = f.queue.add(
        envelope("alice@example.net", {rcpt("x@other.example")}, t0 - f.config.delay_warning_s - 1), body);
    f.start();
    BOOST_TEST_REQUIRE(dt::wait_until([&] { return f.logged(id + ": sender delay notification: "); }), f.log());
    BOOST_TEST_REQUIRE(dt::wait_until([&] { return f.queue.get(id)->delay_warned; }));
    auto m = f.queue.get(id);
    BOOST_TEST((m->envelope.recipients[0].state == q::RecipientState::pending));
    auto dsns = f.notifications();
    BOOST_TEST_REQUIRE(dsns.size() == 1u);
    const std::string text = f.queue.body(dsns[0].id);
    BOOST_TEST(text.find("Subject: Delayed Mail (still being retried)") != std::string::npos);
    BOOST_TEST(text.find("Action: delayed\r\nStatus: 4.4.0\r\n") != std::string::npos, text);
    BOOST_TEST(text.find("Will-Retry-Until: ") != std::string::npos);

    f.advance(3600);
    BOOST_TEST_REQUIRE(dt::wait_until([&] { return f.queue.get(id)->next_attempt > t0 + 3600; }), f.log());
    BOOST_TEST(f.notifications().size() == 1u);  // once per message
}

BOOST_AUTO_TEST_CASE(notify_success_reports_delivery) {
    Fixture f;
    const auto id = f.queue.add(envelope("alice@example.net", {rcpt("bob@example.com", q::notify_success)}), body);
    f.start();
    BOOST_TEST_REQUIRE(dt::wait_until([&] { return !f.queue.get(id).has_value(); }), f.log());
    auto dsns = f.notifications();
    BOOST_TEST_REQUIRE(dsns.size() == 1u);
    const std::string text = f.queue.body(dsns[0].id);
    BOOST_TEST(text.find("Subject: Successful Mail Delivery Report") != std::string::npos);
    BOOST_TEST(text.find("Action: delivered\r\nStatus: 2.0.0\r\n") != std::string::npos);
    BOOST_TEST(f.logged(id + ": sender delivery status notification: " + dsns[0].id), f.log());
}

BOOST_AUTO_TEST_CASE(a_bounce_the_queue_cannot_take_keeps_the_recipient) {
    Fixture f;
    fs::create_directories(f.dir.path() / "mail" / "example.com");
    dt::TempDir elsewhere("elsewhere");
    fs::create_directory_symlink(elsewhere.path(), f.maildir("bob"));
    const auto id = f.queue.add(envelope("alice@example.net", {rcpt("bob@example.com")}), body);
    f.queue.fail_submit = true;
    f.start();
    BOOST_TEST_REQUIRE(dt::wait_until([&] { return f.logged("cannot queue notification"); }), f.log());
    BOOST_TEST_REQUIRE(dt::wait_until([&] { return f.queue.updates >= 1; }));
    auto m = f.queue.get(id);
    BOOST_TEST_REQUIRE(m.has_value());
    BOOST_TEST((m->envelope.recipients[0].state == q::RecipientState::pending));
    BOOST_TEST(m->next_attempt == t0 + 60);

    f.queue.fail_submit = false;
    f.advance(60);
    BOOST_TEST_REQUIRE(dt::wait_until([&] { return !f.queue.get(id).has_value(); }), f.log());
    BOOST_TEST(f.notifications().size() == 1u);
}

BOOST_AUTO_TEST_CASE(lmtp_unavailable_defers_every_local_recipient) {
    Fixture f;
    f.config.lmtp = "unix:" + (f.dir.path() / "no-such.sock").string();
    const auto id = f.queue.add(envelope("alice@example.net", {rcpt("bob@example.com"), rcpt("carol@example.com")}), body);
    f.start();
    BOOST_TEST_REQUIRE(dt::wait_until([&] { return f.logged(id + ": to=<carol@example.com>"); }), f.log());
    auto m = f.queue.get(id);
    BOOST_TEST_REQUIRE(m.has_value());
    for (const auto& r : m->envelope.recipients) {
        BOOST_TEST((r.state == q::RecipientState::pending));
        BOOST_TEST(r.last_reply == "451 4.4.1 LMTP server unavailable");
    }
    BOOST_TEST(f.logged(id + ": to=<bob@example.com>, relay=lmtp[" + (f.dir.path() / "no-such.sock").string() +
                        "], delay=0, dsn=4.4.1, status=deferred (451 4.4.1 LMTP server unavailable: connect: "),
               f.log());
}

BOOST_AUTO_TEST_CASE(stop_is_prompt) {
    Fixture f;
    f.config.poll_interval_ms = 60'000;
    f.config.poll_interval_ms = 24 * 3600 * 1000;  // a stop that waited for the next poll would hang
    f.start();
    // Returns: the worker is woken, not left to its poll (the suite's per-test timeout guards it).
    BOOST_CHECK_NO_THROW(f.agent->stop());
}

// The seam: the agent hands each recipient to the courier of its route and knows neither. Here the
// outbound route, which has no courier in production yet, goes to a second courier (LMTP to a
// real Dovecot), and the local route to Maildir.
BOOST_AUTO_TEST_CASE(two_couriers_chosen_by_route) {
    Fixture f;
    dt::Dovecot dovecot(f.dir.path() / "dovecot", {"dave@other.example"});
    LmtpOptions lmtp;
    lmtp.address = dovecot.address();
    lmtp.lhlo_name = "mx.example.com";
    Couriers couriers;
    couriers.local = std::make_shared<MaildirCourier>(f.config.maildir, f.config.hostname);
    couriers.outbound = std::make_shared<LmtpCourier>(lmtp);
    const auto id = f.queue.add(
        envelope("alice@example.com", {rcpt("bob@example.com"), rcpt("dave@other.example"), rcpt("eve@other.example")}),
        body);
    f.start(couriers);
    BOOST_TEST_REQUIRE(dt::wait_until([&] { return !f.queue.get(id).has_value(); }), f.log());

    const std::string relay = "relay=lmtp[" + dovecot.socket().string() + "]";
    BOOST_TEST(f.logged(id + ": to=<bob@example.com>, relay=local, delay=0, dsn=2.0.0, status=sent (delivered to maildir)"),
               f.log());
    BOOST_TEST(f.logged(id + ": to=<dave@other.example>, " + relay + ", delay=0, dsn=2.0.0, status=sent (250 2.0.0 "),
               f.log());
    BOOST_TEST(f.logged(id + ": to=<eve@other.example>, " + relay + ", delay=0, dsn=5.1.1, status=bounced (550 5.1.1 "),
               f.log());
    BOOST_TEST(!f.logged("outbound delivery is not available"), f.log());  // nothing waits
    BOOST_TEST(dt::files_in(f.maildir("bob") / "new").size() == 1u);
    BOOST_TEST(dt::files_in(dovecot.maildir("dave", "other.example") / "new").size() == 1u, dovecot.log());

    auto removed = f.queue.removed();
    BOOST_TEST_REQUIRE(!removed.empty());
    const auto& r = removed[0].envelope.recipients;
    BOOST_TEST((r[0].state == q::RecipientState::delivered && r[1].state == q::RecipientState::delivered));
    BOOST_TEST((r[2].state == q::RecipientState::failed));
    BOOST_TEST(r[2].last_reply.starts_with("550 5.1.1 "), r[2].last_reply);
    BOOST_TEST(r[2].attempts == 1u);

    // The bounce for eve is local mail for alice: it takes the local route, to her Maildir.
    BOOST_TEST_REQUIRE(dt::wait_until([&] { return dt::files_in(f.maildir("alice") / "new").size() == 1u; }), f.log());
    const std::string bounce = dt::read_file(dt::files_in(f.maildir("alice") / "new")[0]);
    BOOST_TEST(bounce.find("Final-Recipient: rfc822; eve@other.example") != std::string::npos, bounce);
}

// A recipient queued before the rules changed, that the Maildir courier would have refused at
// RCPT: the courier's check_recipient() bounces it at once, and nothing is written for it.
BOOST_AUTO_TEST_CASE(a_recipient_the_courier_refuses_bounces_without_a_delivery) {
    Fixture f;
    const auto id = f.queue.add(envelope("alice@example.net", {rcpt("o'brien@example.com"), rcpt("bob@example.com")}), body);
    f.start();
    BOOST_TEST_REQUIRE(dt::wait_until([&] { return !f.queue.get(id).has_value(); }), f.log());
    BOOST_TEST(f.logged(id + ": to=<o'brien@example.com>, relay=local, delay=0, dsn=5.1.3, "
                             "status=bounced (bad recipient address syntax)"),
               f.log());
    auto removed = f.queue.removed();
    BOOST_TEST_REQUIRE(!removed.empty());
    BOOST_TEST((removed[0].envelope.recipients[0].state == q::RecipientState::failed));
    BOOST_TEST(removed[0].envelope.recipients[0].last_reply == "550 5.1.3 bad recipient address syntax");
    BOOST_TEST((removed[0].envelope.recipients[1].state == q::RecipientState::delivered));
    BOOST_TEST(dt::files_in(f.dir.path() / "mail" / "example.com").size() == 1u);  // bob's Maildir alone

    auto bounces = f.notifications();
    BOOST_TEST_REQUIRE(bounces.size() == 1u);
    const std::string text = f.queue.body(bounces[0].id);
    BOOST_TEST(text.find("Final-Recipient: rfc822; o'brien@example.com\r\nAction: failed\r\nStatus: 5.1.3\r\n") !=
                   std::string::npos,
               text);
}

// The refusal is the courier's: with LMTP the same recipient goes to the server, which decides.
BOOST_AUTO_TEST_CASE(a_courier_that_refuses_nobody_leaves_the_recipient_to_its_server) {
    Fixture f;
    dt::Dovecot dovecot(f.dir.path() / "dovecot", {"bob@example.com"});
    f.config.lmtp = dovecot.address();
    const auto id = f.queue.add(envelope("alice@example.net", {rcpt("o'brien@example.com"), rcpt("bob@example.com")}), body);
    f.start();
    BOOST_TEST_REQUIRE(dt::wait_until([&] { return !f.queue.get(id).has_value(); }), f.log());
    const std::string relay = "relay=lmtp[" + dovecot.socket().string() + "]";
    BOOST_TEST(f.logged(id + ": to=<o'brien@example.com>, " + relay + ", delay=0, dsn=5.1.1, status=bounced (550 5.1.1 "),
               f.log());
    BOOST_TEST(f.logged(id + ": to=<bob@example.com>, " + relay + ", delay=0, dsn=2.0.0, status=sent (250 2.0.0 "),
               f.log());
    BOOST_TEST(dt::files_in(dovecot.maildir("bob") / "new").size() == 1u, dovecot.log());
    BOOST_TEST(!fs::exists(f.dir.path() / "mail" / "example.com"));  // no Maildir courier here
}

namespace {

// An outbound server that is down until the test says otherwise: a stand-in for the SMTP courier,
// to see what the agent does with its answers (the courier itself meets real servers in
// standalone_outbound_test).
class SwitchableOutbound final : public Courier {
public:
    std::atomic<bool> up{false};
    std::vector<DeliveryOutcome> deliver(const CourierMessage&, const std::vector<CourierRecipient>& rs) override {
        DeliveryOutcome o = up ? DeliveryOutcome::ok("Ok: queued") : DeliveryOutcome::temporary("4.4.1", "connect refused");
        o.relay = "mx.other.example[192.0.2.25]:25";
        o.relayed = o.kind == DeliveryOutcome::Kind::ok;
        return std::vector<DeliveryOutcome>(rs.size(), o);
    }
    std::string relay_name() const override { return "smtp"; }
    bool remote_replies() const override { return true; }
};

}  // namespace

// OpenSMTPD's users waited hours for this: once a destination takes mail again, its other deferred
// mail goes at once, not at each message's own next retry.
BOOST_AUTO_TEST_CASE(the_first_success_to_a_destination_wakes_its_deferred_mail) {
    Fixture f;
    auto outbound = std::make_shared<SwitchableOutbound>();
    Couriers couriers;
    couriers.local = std::make_shared<MaildirCourier>(f.config.maildir, f.config.hostname);
    couriers.outbound = outbound;
    const auto first = f.queue.add(envelope("alice@example.com", {rcpt("dave@other.example")}), body);
    f.start(couriers);
    BOOST_TEST_REQUIRE(dt::wait_until([&] { return f.logged(first + ": to=<dave@other.example>"); }), f.log());
    BOOST_TEST(f.logged("relay=mx.other.example[192.0.2.25]:25, delay=0, dsn=4.4.1, status=deferred"), f.log());
    BOOST_TEST(f.queue.get(first)->next_attempt == t0 + 60);

    outbound->up = true;  // the clock stays put: only the wake-up can deliver `first` now
    const auto second = f.queue.add(envelope("alice@example.com", {rcpt("erin@other.example")}), body);
    f.agent->wake();
    BOOST_TEST_REQUIRE(dt::wait_until([&] { return !f.queue.get(second) && !f.queue.get(first); }), f.log());
    BOOST_TEST(f.logged("other.example: delivery works again: 1 deferred message scheduled now"), f.log());
    BOOST_TEST(f.logged(first + ": to=<dave@other.example>, relay=mx.other.example[192.0.2.25]:25, delay=0, dsn=2.0.0, "
                                "status=sent"),
               f.log());
}

namespace {

// An outbound server that takes everything, and counts what it was given per recipient domain.
class CountingOutbound final : public Courier {
public:
    std::vector<DeliveryOutcome> deliver(const CourierMessage&, const std::vector<CourierRecipient>& rs) override {
        std::lock_guard lock(mutex);
        for (const auto& r : rs) ++given[r.parsed.domain];
        DeliveryOutcome o = DeliveryOutcome::ok("Ok: queued");
        o.relay = "relay.partner.example[192.0.2.50]:25";
        return std::vector<DeliveryOutcome>(rs.size(), o);
    }
    int count(const std::string& domain) {
        std::lock_guard lock(mutex);
        return given[domain];
    }
    std::string relay_name() const override { return "smtp"; }
    bool remote_replies() const override { return true; }
    std::mutex mutex;
    std::map<std::string, int> given;
};

const std::string hold_rules = std::string(dt::delivery_rules) + R"(
[[send_connector]]
name = "Internet"
address_spaces = ["*"]

[[send_connector]]
name = "Partner"
address_spaces = ["partner.example", "*.partner.example"]
smart_hosts = ["[192.0.2.50]:25"]
hold = true
)";

}  // namespace

// README "ETRN": a send connector with `hold` keeps its mail (no attempt, a clear reason in the
// queue) until an ETRN for the domain, which sends it at one attempt; later mail waits again.
BOOST_AUTO_TEST_CASE(hold_keeps_mail_until_an_etrn_releases_it_once) {
    Fixture f;
    f.rules = dt::load_rules(f.dir, hold_rules);
    std::mutex sent_mutex;
    std::set<std::string> sent_through;
    f.config.sent_through = [&](const std::string& name) {
        std::lock_guard lock(sent_mutex);
        sent_through.insert(name);
    };
    auto outbound = std::make_shared<CountingOutbound>();
    Couriers couriers;
    couriers.outbound = outbound;
    const auto held = f.queue.add(envelope("alice@example.com", {rcpt("bob@partner.example"), rcpt("carol@other.example")}), body);
    f.start(couriers);
    BOOST_TEST_REQUIRE(dt::wait_until([&] { return f.logged(held + ": to=<bob@partner.example>"); }), f.log());
    BOOST_TEST(f.logged(held + ": to=<bob@partner.example>, relay=none, delay=0, dsn=4.4.0, status=deferred "
                               "(held for ETRN by send connector Partner)"),
               f.log());
    BOOST_TEST(outbound->count("partner.example") == 0);
    BOOST_TEST(outbound->count("other.example") == 1);  // the other recipient is not held back
    {
        std::lock_guard lock(sent_mutex);
        BOOST_TEST(sent_through == (std::set<std::string>{"Internet"}), boost::test_tools::per_element());
    }
    auto waiting = f.queue.get(held);
    BOOST_TEST_REQUIRE(waiting.has_value());
    BOOST_TEST(waiting->envelope.recipients[0].last_reply == "451 4.4.0 held for ETRN by send connector Partner");
    BOOST_TEST(waiting->envelope.recipients[0].attempts == 0u);  // waiting is no attempt
    BOOST_TEST(waiting->next_attempt > t0);

    // An ETRN for another domain releases nothing.
    auto none = f.agent->flush_domain("elsewhere.example", false);
    BOOST_TEST_REQUIRE(none.ok());
    BOOST_TEST(*none == 0u);

    auto started = f.agent->flush_domain("partner.example", false);
    BOOST_TEST_REQUIRE(started.ok());
    BOOST_TEST(*started == 1u);
    BOOST_TEST_REQUIRE(dt::wait_until([&] { return !f.queue.get(held); }), f.log());
    BOOST_TEST(outbound->count("partner.example") == 1);
    BOOST_TEST(f.logged(held + ": to=<bob@partner.example>, relay=relay.partner.example[192.0.2.50]:25, delay=0, "
                               "dsn=2.0.0, status=sent"),
               f.log());

    // The release was for that attempt: new mail for the domain waits for the next ETRN.
    const auto later = f.queue.add(envelope("alice@example.com", {rcpt("dan@partner.example")}), body);
    f.agent->wake();
    BOOST_TEST_REQUIRE(dt::wait_until([&] { return f.logged(later + ": to=<dan@partner.example>"); }), f.log());
    BOOST_TEST(f.logged(later + ": to=<dan@partner.example>, relay=none, delay=0, dsn=4.4.0, status=deferred"), f.log());
    BOOST_TEST(outbound->count("partner.example") == 1);
}

// "@domain" releases the subdomains too; the domain's own mail as well.
BOOST_AUTO_TEST_CASE(etrn_for_a_domain_tree) {
    Fixture f;
    f.rules = dt::load_rules(f.dir, hold_rules);
    auto outbound = std::make_shared<CountingOutbound>();
    Couriers couriers;
    couriers.outbound = outbound;
    const auto a = f.queue.add(envelope("alice@example.com", {rcpt("x@eu.partner.example")}), body);
    const auto b = f.queue.add(envelope("alice@example.com", {rcpt("y@partner.example")}), body);
    f.start(couriers);
    BOOST_TEST_REQUIRE(dt::wait_until([&] { return f.logged(a + ": to=") && f.logged(b + ": to="); }), f.log());
    BOOST_TEST(*f.agent->flush_domain("eu.partner.example", true) == 1u);  // b is not under eu.
    BOOST_TEST_REQUIRE(dt::wait_until([&] { return !f.queue.get(a); }), f.log());
    BOOST_TEST(f.queue.get(b).has_value());
    BOOST_TEST(*f.agent->flush_domain("partner.example", true) == 1u);
    BOOST_TEST_REQUIRE(dt::wait_until([&] { return !f.queue.get(b); }), f.log());
    BOOST_TEST(outbound->count("eu.partner.example") == 1);
    BOOST_TEST(outbound->count("partner.example") == 1);
}

// As Postfix's defer_transports mail: held mail still bounces at queue_lifetime.
BOOST_AUTO_TEST_CASE(held_mail_expires_at_queue_lifetime) {
    Fixture f;
    f.rules = dt::load_rules(f.dir, hold_rules);
    Couriers couriers;
    couriers.outbound = std::make_shared<CountingOutbound>();
    const auto held = f.queue.add(envelope("alice@example.com", {rcpt("bob@partner.example")}), body);
    f.start(couriers);
    BOOST_TEST_REQUIRE(dt::wait_until([&] { return f.logged(held + ": to=<bob@partner.example>"); }), f.log());
    f.advance(f.config.queue_lifetime_s + 1);
    BOOST_TEST_REQUIRE(dt::wait_until([&] { return f.logged("status=bounced"); }), f.log());
    BOOST_TEST(f.logged(held + ": to=<bob@partner.example>, relay=none, delay=" +
                        std::to_string(f.config.queue_lifetime_s + 1) +
                        ", dsn=4.4.7, status=bounced (message expired after " +
                        std::to_string(f.config.queue_lifetime_s + 1) + "s; held for ETRN by send connector Partner)"),
               f.log());
}

namespace {

// An outbound server whose first delivery waits until the test lets it go, then fails for now;
// later ones fail for now at once.
class BlockingOutbound final : public Courier {
public:
    std::vector<DeliveryOutcome> deliver(const CourierMessage&, const std::vector<CourierRecipient>& rs) override {
        std::unique_lock lock(mutex);
        if (++calls == 1) {
            entered = true;
            cv.notify_all();
            cv.wait(lock, [&] { return let_go; });
        }
        return std::vector<DeliveryOutcome>(rs.size(), DeliveryOutcome::temporary("4.4.1", "connection refused"));
    }
    void wait_entered() {
        std::unique_lock lock(mutex);
        cv.wait(lock, [&] { return entered; });
    }
    void release() {
        std::lock_guard lock(mutex);
        let_go = true;
        cv.notify_all();
    }
    int count() {
        std::lock_guard lock(mutex);
        return calls;
    }
    std::string relay_name() const override { return "smtp"; }
    bool remote_replies() const override { return true; }
    std::mutex mutex;
    std::condition_variable cv;
    bool entered = false, let_go = false;
    int calls = 0;
};

}  // namespace

// An ETRN (or `queue flush DOMAIN`) that comes while the message is being delivered is not lost:
// that attempt's retry time does not overwrite it, and the message goes again at once.
BOOST_AUTO_TEST_CASE(a_flush_during_an_attempt_makes_the_message_due_again) {
    Fixture f;
    auto outbound = std::make_shared<BlockingOutbound>();
    Couriers couriers;
    couriers.outbound = outbound;
    const auto id = f.queue.add(envelope("alice@example.com", {rcpt("dave@other.example")}), body);
    f.start(couriers);
    outbound->wait_entered();
    auto flushed = f.agent->flush_domain("other.example", false);
    BOOST_TEST_REQUIRE(flushed.ok());
    BOOST_TEST(*flushed == 1u);
    outbound->release();
    // The clock stands still: only the flush can bring the second attempt this soon.
    BOOST_TEST_REQUIRE(dt::wait_until([&] { return outbound->count() == 2; }), f.log());
    BOOST_TEST_REQUIRE(dt::wait_until([&] {
        auto m = f.queue.get(id);
        return m && m->envelope.recipients[0].attempts == 2u;
    }), f.log());
    BOOST_TEST(f.queue.get(id)->next_attempt > t0);  // the flush was used up by the second attempt
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    BOOST_TEST(outbound->count() == 2);
}
