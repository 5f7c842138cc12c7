// End-to-end: the real `mailwarden queue` binary against a queue populated through the library.
#define BOOST_TEST_MODULE queue command
#include <boost/test/unit_test.hpp>

#include <future>

#include "json_value.hpp"
#include "smtp/queue/queue.hpp"
#include "test_support.hpp"

using mw::test::Json;
using mw::test::run_mailwarden;
using mw::test::TempDir;
namespace q = mw::smtp::queue;

namespace {

const std::string body_a = "From: alice@example.com\r\nSubject: hello\r\n\r\nfirst message\r\n";
const std::string body_b = "From: <>\r\nSubject: bounce\r\n\r\nsecond message\r\n";

struct Fixture {
    TempDir state{"queue-cli"};
    std::string a, b;

    Fixture() {
        auto opened = q::Queue::open(state.path());
        BOOST_TEST_REQUIRE(opened.ok());
        q::Queue& queue = **opened;
        a = submit(queue, "alice@example.com", {"bob@example.com", "carol@example.com"}, body_a);
        b = submit(queue, "", {"dave@example.com"}, body_b);
        // bob was tried once already.
        auto info = *queue.find(a);
        auto rcpts = (*info).envelope.recipients;
        rcpts[0].attempts = 1;
        rcpts[0].last_reply = "451 4.2.0 mailbox busy";
        rcpts[1].state = q::RecipientState::delivered;
        rcpts[1].attempts = 1;
        BOOST_TEST_REQUIRE(*queue.update(a, rcpts, 4102444800, false));
    }

    static std::string submit(q::Queue& queue, const std::string& sender, std::vector<std::string> rcpts,
                              const std::string& body) {
        q::Envelope e;
        e.sender = sender;
        for (auto& r : rcpts) e.recipients.push_back(q::Recipient{r, "", q::notify_default, q::RecipientState::pending, 0, ""});
        e.client = "client.example[192.0.2.1]";
        e.arrival = 1700000000;
        std::promise<mw::Result<q::SubmitOk>> done;
        queue.submit(queue.new_id(), e, body, [&](mw::Result<q::SubmitOk> r) { done.set_value(std::move(r)); });
        auto r = done.get_future().get();
        BOOST_TEST_REQUIRE(r.ok());
        return r->id;
    }

    mw::test::RunResult run(std::vector<std::string> args) {
        args.insert(args.begin(), "queue");
        args.push_back("--state-dir");
        args.push_back(state.path().string());
        return run_mailwarden(args);
    }
};

bool contains(const std::string& haystack, const std::string& needle) { return haystack.find(needle) != std::string::npos; }

}  // namespace

BOOST_FIXTURE_TEST_CASE(list_prints_one_entry_per_message, Fixture) {
    auto r = run({"list"});
    BOOST_TEST_REQUIRE(r.status == 0, r.err);
    BOOST_TEST_MESSAGE(r.out);
    BOOST_TEST(contains(r.out, a + " "));
    BOOST_TEST(contains(r.out, b + " "));
    BOOST_TEST(contains(r.out, "alice@example.com"));
    BOOST_TEST(contains(r.out, "<>"));
    BOOST_TEST(contains(r.out, "(451 4.2.0 mailbox busy)"));
    BOOST_TEST(contains(r.out, "carol@example.com [delivered, 1 attempt]"));
    BOOST_TEST(contains(r.out, "in 2 Requests."));
    BOOST_TEST(r.out.find(a) < r.out.find(b));  // oldest first
}

BOOST_FIXTURE_TEST_CASE(list_json, Fixture) {
    auto r = run({"list", "--json"});
    BOOST_TEST_REQUIRE(r.status == 0, r.err);
    Json all = Json::parse(r.out);
    BOOST_TEST_REQUIRE(all.arr().size() == 2u);
    const Json& m = all[0];
    BOOST_TEST(m["id"].str() == a);
    BOOST_TEST(m["size"].num() == static_cast<double>(body_a.size()));
    BOOST_TEST(m["arrival"].num() == 1700000000.0);
    BOOST_TEST(m["sender"].str() == "alice@example.com");
    BOOST_TEST(m["state"].str() == "active");
    BOOST_TEST(m["next_attempt"].num() == 4102444800.0);
    BOOST_TEST_REQUIRE(m["recipients"].arr().size() == 2u);
    BOOST_TEST(m["recipients"][0]["address"].str() == "bob@example.com");
    BOOST_TEST(m["recipients"][0]["state"].str() == "pending");
    BOOST_TEST(m["recipients"][0]["attempts"].num() == 1.0);
    BOOST_TEST(m["recipients"][0]["last_reply"].str() == "451 4.2.0 mailbox busy");
    BOOST_TEST(m["recipients"][1]["state"].str() == "delivered");
    BOOST_TEST(all[1]["sender"].str() == "");
}

BOOST_FIXTURE_TEST_CASE(show_prints_envelope_then_body, Fixture) {
    auto r = run({"show", a});
    BOOST_TEST_REQUIRE(r.status == 0, r.err);
    BOOST_TEST_MESSAGE(r.out);
    BOOST_TEST(contains(r.out, "sender: <alice@example.com>"));
    BOOST_TEST(contains(r.out, "recipient: <bob@example.com> pending"));
    BOOST_TEST(contains(r.out, "client: client.example[192.0.2.1]"));
    BOOST_TEST(r.out.size() >= body_a.size());
    BOOST_TEST(r.out.substr(r.out.size() - body_a.size()) == body_a);
}

BOOST_FIXTURE_TEST_CASE(hold_and_release, Fixture) {
    auto r = run({"hold", b});
    BOOST_TEST_REQUIRE(r.status == 0, r.err);
    BOOST_TEST(contains(run({"list"}).out, b + "!"));
    BOOST_TEST(Json::parse(run({"list", "--json"}).out)[1]["state"].str() == "hold");
    r = run({"release", b});
    BOOST_TEST_REQUIRE(r.status == 0, r.err);
    BOOST_TEST(!contains(run({"list"}).out, b + "!"));
}

BOOST_FIXTURE_TEST_CASE(delete_then_unknown, Fixture) {
    auto r = run({"delete", a});
    BOOST_TEST_REQUIRE(r.status == 0, r.err);
    BOOST_TEST(Json::parse(run({"list", "--json"}).out).arr().size() == 1u);
    for (const char* sub : {"show", "delete", "hold", "release"}) {
        r = run({sub, a});
        BOOST_TEST(r.status == 1, sub);
        BOOST_TEST(contains(r.err, "no message " + a), r.err);
    }
}

BOOST_FIXTURE_TEST_CASE(flush_schedules_even_without_a_daemon, Fixture) {
    state.write("mailwarden.toml", "state_dir = \"" + state.path().string() + "\"\n[control]\nlisten = \"unix:" +
                                       (state.path() / "no-daemon.sock").string() + "\"\n");
    auto r = run_mailwarden({"queue", "flush", "--config", (state.path() / "mailwarden.toml").string()});
    BOOST_TEST_REQUIRE(r.status == 0, r.err);
    BOOST_TEST(contains(r.out, "2 messages scheduled"));
    BOOST_TEST(contains(r.out, "not reachable"));
    BOOST_TEST(Json::parse(run({"list", "--json"}).out)[0]["next_attempt"].num() == 0.0);
}

BOOST_FIXTURE_TEST_CASE(usage_errors_exit_2, Fixture) {
    BOOST_TEST(run({}).status == 2);
    BOOST_TEST(run({"bogus"}).status == 2);
    BOOST_TEST(run({"show"}).status == 2);
    BOOST_TEST(run({"show", a, "extra"}).status == 2);
    BOOST_TEST(run({"show", a, "--json"}).status == 2);
    BOOST_TEST(run({"list", "--no-such-option"}).status == 2);
}

BOOST_AUTO_TEST_CASE(no_queue_is_an_error) {
    TempDir empty("queue-cli-empty");
    auto r = run_mailwarden({"queue", "list", "--state-dir", empty.path().string()});
    BOOST_TEST(r.status == 1);
    BOOST_TEST(contains(r.err, "no queue"), r.err);
}
