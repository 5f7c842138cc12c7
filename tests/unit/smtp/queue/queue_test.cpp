// The durable queue: group commit (observed, not assumed), what survives a restart, and what
// recovery does with damaged segments.
#define BOOST_TEST_MODULE smtp queue
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <iterator>
#include <limits>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "smtp/queue/lmdb_queue.hpp"
#include "smtp/queue/queue.hpp"

namespace fs = std::filesystem;
using namespace mw::smtp::queue;

namespace {

// A fresh directory under $TMPDIR (CTest points it into the build tree), removed afterwards.
struct TempDir {
    fs::path path;
    TempDir() {
        const char* tmp = std::getenv("TMPDIR");
        fs::path base = tmp && *tmp ? fs::path(tmp) : fs::temp_directory_path();
        std::random_device rd;
        do path = base / ("mw-queue-" + std::to_string(rd())); while (!fs::create_directories(path));
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

Envelope envelope(const std::string& sender, std::vector<std::string> rcpts) {
    Envelope e;
    e.sender = sender;
    for (auto& r : rcpts) e.recipients.push_back(Recipient{r, "", notify_default, RecipientState::pending, 0, ""});
    e.client = "client.example[192.0.2.1]";
    e.helo = "client.example";
    e.connector = "Internet";
    e.arrival = 1700000000;
    return e;
}

// Boost.Test evaluates a check's message even when the check passes.
template <typename T>
std::string why(const mw::Result<T>& r) {
    return r.ok() ? std::string() : r.error().origin + ": " + r.error().detail;
}

mw::Result<SubmitOk> submit_sync(Queue& q, const Envelope& e, const std::string& body) {
    std::promise<mw::Result<SubmitOk>> promise;
    auto future = promise.get_future();
    q.submit(q.new_id(), e, body, [&](mw::Result<SubmitOk> r) { promise.set_value(std::move(r)); });
    return future.get();
}

std::string submit_ok(Queue& q, const std::string& body, const std::string& rcpt = "bob@example.com") {
    auto r = submit_sync(q, envelope("alice@example.com", {rcpt}), body);
    BOOST_TEST_REQUIRE(r.ok(), why(r));
    return r->id;
}

std::unique_ptr<Queue> open_ok(const fs::path& dir, QueueOptions options = {}) {
    auto q = Queue::open(dir, options);
    BOOST_TEST_REQUIRE(q.ok(), why(q));
    return std::move(*q);
}

LmdbQueue& impl(Queue& q) { return dynamic_cast<LmdbQueue&>(q); }

std::vector<fs::path> segment_files(const fs::path& state) {
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(state / "queue" / "segments")) files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    return files;
}

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

void spit(const fs::path& p, const std::string& bytes) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::vector<std::string> ids(const std::vector<MessageInfo>& messages) {
    std::vector<std::string> out;
    for (const auto& m : messages) out.push_back(m.id);
    return out;
}

const std::string body1 = "Subject: one\r\n\r\nfirst body\r\n";
constexpr char body2_bytes[] = "Subject: two\r\n\r\nbinary \0\x01\xff bytes\r\n";
const std::string body2(body2_bytes, sizeof body2_bytes - 1);  // NUL and 0xFF bytes included

}  // namespace

BOOST_AUTO_TEST_CASE(new_ids_are_unique_sorted_hex) {
    TempDir dir;
    auto q = open_ok(dir.path);
    std::vector<std::string> all;
    std::mutex m;
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] {
            std::vector<std::string> mine;
            for (int i = 0; i < 5000; ++i) mine.push_back(q->new_id());
            BOOST_CHECK(std::is_sorted(mine.begin(), mine.end()));
            std::lock_guard lock(m);
            all.insert(all.end(), mine.begin(), mine.end());
        });
    for (auto& t : threads) t.join();
    std::set<std::string> unique(all.begin(), all.end());
    BOOST_TEST(unique.size() == all.size());
    for (const auto& id : unique) BOOST_TEST_REQUIRE(IdGenerator::well_formed(id), id);
}

BOOST_AUTO_TEST_CASE(submit_then_find_and_read_the_exact_bytes) {
    TempDir dir;
    auto q = open_ok(dir.path);
    std::string id = submit_ok(*q, body2);
    auto found = q->find(id);
    BOOST_TEST_REQUIRE(found.ok());
    BOOST_TEST_REQUIRE(found->has_value());
    BOOST_TEST((*found)->envelope.sender == "alice@example.com");
    BOOST_TEST((*found)->envelope.recipients.at(0).address == "bob@example.com");
    BOOST_TEST((*found)->size == body2.size());
    BOOST_TEST(((*found)->state == MessageState::active));
    auto body = q->read_body(id);
    BOOST_TEST_REQUIRE(body.ok());
    BOOST_TEST(*body == body2);
    BOOST_TEST(*q->size() == 1u);
    BOOST_TEST(!q->find("0000000000000000")->has_value());
    BOOST_TEST(!q->read_body("0000000000000000").ok());
    BOOST_TEST(impl(*q).commit_rounds() == 1u);
}

BOOST_AUTO_TEST_CASE(malformed_ids_are_refused) {
    TempDir dir;
    auto q = open_ok(dir.path);
    std::promise<mw::Result<SubmitOk>> p;
    q->submit("../../etc/passwd", envelope("a@b", {"c@d"}), "x", [&](mw::Result<SubmitOk> r) { p.set_value(r); });
    BOOST_TEST(!p.get_future().get().ok());
}

BOOST_AUTO_TEST_CASE(concurrent_submitters_share_commit_rounds) {
    TempDir dir;
    auto q = open_ok(dir.path);
    constexpr int threads = 8, per_thread = 200, total = threads * per_thread;
    std::mutex m;
    std::set<std::string> done_ids;
    int failures = 0;
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t)
        workers.emplace_back([&, t] {
            std::vector<std::future<mw::Result<SubmitOk>>> futures;
            for (int i = 0; i < per_thread; ++i) {
                auto promise = std::make_shared<std::promise<mw::Result<SubmitOk>>>();
                futures.push_back(promise->get_future());
                std::string body = "Subject: " + std::to_string(t) + "/" + std::to_string(i) + "\r\n\r\nhello\r\n";
                q->submit(q->new_id(), envelope("s@example.com", {"r@example.com"}), body,
                          [promise](mw::Result<SubmitOk> r) { promise->set_value(std::move(r)); });
            }
            for (auto& f : futures) {
                auto r = f.get();
                std::lock_guard lock(m);
                if (r.ok())
                    done_ids.insert(r->id);
                else
                    ++failures;
            }
        });
    for (auto& w : workers) w.join();
    BOOST_TEST(failures == 0);
    BOOST_TEST(done_ids.size() == static_cast<std::size_t>(total));
    BOOST_TEST(*q->size() == static_cast<std::size_t>(total));
    std::uint64_t rounds = impl(*q).commit_rounds();
    BOOST_TEST_MESSAGE("commit rounds for " << total << " messages: " << rounds);
    BOOST_TEST(rounds < static_cast<std::uint64_t>(total));
    // Every acknowledged message reads back as what was sent.
    auto listed = q->list();
    BOOST_TEST_REQUIRE(listed.ok());
    BOOST_TEST(listed->size() == static_cast<std::size_t>(total));
    for (const auto& info : *listed) BOOST_TEST_REQUIRE(q->read_body(info.id).ok());
}

BOOST_AUTO_TEST_CASE(reopen_finds_everything) {
    TempDir dir;
    std::vector<std::string> sent;
    {
        auto q = open_ok(dir.path);
        for (int i = 0; i < 10; ++i) sent.push_back(submit_ok(*q, "body " + std::to_string(i) + "\r\n"));
        // Submitted without waiting: the destructor must still make them durable and answer.
        std::promise<mw::Result<SubmitOk>> last;
        q->submit(q->new_id(), envelope("a@example.com", {"b@example.com"}), "late\r\n",
                  [&](mw::Result<SubmitOk> r) { last.set_value(r); });
        q.reset();
        auto r = last.get_future().get();
        BOOST_TEST_REQUIRE(r.ok());
        sent.push_back(r->id);
    }
    auto q = open_ok(dir.path);
    auto listed = q->list();
    BOOST_TEST_REQUIRE(listed.ok());
    BOOST_TEST(ids(*listed) == sent);
    for (int i = 0; i < 10; ++i) BOOST_TEST(*q->read_body(sent[static_cast<std::size_t>(i)]) == "body " + std::to_string(i) + "\r\n");
    BOOST_TEST(*q->read_body(sent.back()) == "late\r\n");
    BOOST_TEST(q->new_id() > sent.back());
    // New mail after a restart goes to a new segment; the old one stays (it is referenced).
    submit_ok(*q, body1);
    BOOST_TEST(segment_files(dir.path).size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_corrupted_body_is_set_aside_and_never_due) {
    TempDir dir;
    std::string a, b, c;
    {
        auto q = open_ok(dir.path);
        a = submit_ok(*q, "Subject: a\r\n\r\nAAAA\r\n");
        b = submit_ok(*q, "Subject: b\r\n\r\nBBBB\r\n");
        c = submit_ok(*q, "Subject: c\r\n\r\nCCCC\r\n");
    }
    auto files = segment_files(dir.path);
    BOOST_TEST_REQUIRE(files.size() == 1u);
    std::string bytes = slurp(files[0]);
    auto at = bytes.find("BBBB");
    BOOST_TEST_REQUIRE(at != std::string::npos);
    bytes[at] = 'X';
    spit(files[0], bytes);

    std::vector<std::string> logged;
    QueueOptions options;
    options.log = [&](const std::string& line) { logged.push_back(line); };
    auto q = open_ok(dir.path, options);
    auto due = q->due(std::numeric_limits<std::int64_t>::max(), 100);
    BOOST_TEST_REQUIRE(due.ok());
    BOOST_TEST((ids(*due) == std::vector<std::string>{a, c}));
    BOOST_TEST(!q->find(b)->has_value());
    BOOST_TEST(*q->size() == 2u);
    BOOST_TEST_REQUIRE(logged.size() == 1u);
    BOOST_TEST(logged[0].find(b) != std::string::npos);
    BOOST_TEST(logged[0].find("checksum") != std::string::npos);
    BOOST_TEST(*q->read_body(a) == "Subject: a\r\n\r\nAAAA\r\n");
}

BOOST_AUTO_TEST_CASE(a_missing_segment_sets_its_records_aside) {
    TempDir dir;
    {
        auto q = open_ok(dir.path);
        submit_ok(*q, body1);
    }
    for (const auto& f : segment_files(dir.path)) fs::remove(f);
    auto q = open_ok(dir.path, QueueOptions{.log = [](const std::string&) {}});
    BOOST_TEST(*q->size() == 0u);
}

BOOST_AUTO_TEST_CASE(trailing_garbage_and_orphan_segments_do_not_break_reopen) {
    TempDir dir;
    std::string id;
    {
        auto q = open_ok(dir.path);
        id = submit_ok(*q, body1);
    }
    auto files = segment_files(dir.path);
    BOOST_TEST_REQUIRE(files.size() == 1u);
    fs::path used = files[0];
    // A half-written message whose index record never became durable...
    spit(used, slurp(used) + "MWQ1garbage-of-a-torn-batch");
    // ...and a whole segment of one, after the last one we know.
    fs::path orphan = used.parent_path() / "00000000000000ff.seg";
    spit(orphan, "MWQ1 nothing references this");

    std::vector<std::string> logged;
    auto q = open_ok(dir.path, QueueOptions{.log = [&](const std::string& line) { logged.push_back(line); }});
    BOOST_TEST(*q->read_body(id) == body1);
    BOOST_TEST(fs::exists(used));
    BOOST_TEST(!fs::exists(orphan));
    BOOST_TEST(logged.size() == 1u);
    // New segments number above every file ever seen.
    std::string next = submit_ok(*q, body2);
    BOOST_TEST(impl(*q).current_segment() > 0xffu);
    // The old segment is sealed: once its last message goes, so does the file.
    BOOST_TEST(*q->remove(id));
    BOOST_TEST(!fs::exists(used));
    BOOST_TEST(*q->read_body(next) == body2);
}

BOOST_AUTO_TEST_CASE(map_full_is_reported_as_such) {
    TempDir dir;
    QueueOptions options;
    options.map_size = 256 * 1024;
    auto q = open_ok(dir.path, options);
    std::vector<std::string> many;
    for (int i = 0; i < 50; ++i) many.push_back(std::string(200, 'r') + std::to_string(i) + "@example.com");
    std::optional<mw::Error> failure;
    for (int i = 0; i < 200 && !failure; ++i) {
        auto r = submit_sync(*q, envelope("alice@example.com", many), body1);
        if (!r.ok()) failure = r.error();
    }
    BOOST_TEST_REQUIRE(failure.has_value());
    BOOST_TEST(failure->is(mw::ErrorCode::storage_full), failure->origin + ": " + failure->detail);
    BOOST_TEST((failure->kind == mw::Error::Kind::temporary));
    // The queue keeps working for what fits: removing makes room again.
    auto listed = q->list();
    BOOST_TEST_REQUIRE(listed.ok());
    BOOST_TEST_REQUIRE(!listed->empty());
    BOOST_TEST_MESSAGE(listed->size() << " big envelopes fit");
    for (const auto& m : *listed) BOOST_TEST(*q->remove(m.id));
    auto small = submit_sync(*q, envelope("alice@example.com", {"bob@example.com"}), body1);
    BOOST_TEST(small.ok(), why(small));
}

BOOST_AUTO_TEST_CASE(finished_messages_go_and_sealed_segments_are_unlinked) {
    TempDir dir;
    QueueOptions options;
    options.segment_bytes = 1;  // every batch opens a new segment
    auto q = open_ok(dir.path, options);
    std::string a = submit_ok(*q, body1, "x@example.com");
    std::uint64_t seg_a = impl(*q).current_segment();
    std::string b = submit_ok(*q, body2);
    BOOST_TEST(impl(*q).current_segment() != seg_a);
    BOOST_TEST(segment_files(dir.path).size() == 2u);

    auto info = *q->find(a);
    std::vector<Recipient> rcpts = (*info).envelope.recipients;
    rcpts[0].state = RecipientState::pending;
    rcpts[0].attempts = 1;
    rcpts[0].last_reply = "451 4.2.0 mailbox busy";
    BOOST_TEST(*q->update(a, rcpts, 1700000600, true));
    auto after = *q->find(a);
    BOOST_TEST_REQUIRE(after.has_value());
    BOOST_TEST(after->next_attempt == 1700000600);
    BOOST_TEST(after->delay_warned);
    BOOST_TEST(after->envelope.recipients[0].last_reply == "451 4.2.0 mailbox busy");
    BOOST_TEST(after->envelope.recipients[0].attempts == 1u);

    rcpts[0].state = RecipientState::delivered;
    BOOST_TEST(*q->update(a, rcpts, 0, true));
    BOOST_TEST(!q->find(a)->has_value());
    BOOST_TEST(segment_files(dir.path).size() == 1u);  // a's sealed segment is gone
    BOOST_TEST(*q->read_body(b) == body2);
    BOOST_TEST(!*q->update(a, rcpts, 0, false));  // no longer queued

    // The current segment is never unlinked under the committer, even when it empties.
    BOOST_TEST(*q->remove(b));
    BOOST_TEST(segment_files(dir.path).size() == 1u);
    // It is reclaimed when the next batch moves on to a new segment.
    std::string c = submit_ok(*q, body1);
    BOOST_TEST(segment_files(dir.path).size() == 1u);
    BOOST_TEST(*q->read_body(c) == body1);
}

// A clean close takes away what recovery would otherwise find and report at the next open: the
// current segment once its messages are gone, and sealed ones an admin emptied meanwhile.
BOOST_AUTO_TEST_CASE(a_clean_close_leaves_nothing_for_the_next_open_to_remove) {
    TempDir dir;
    std::vector<std::string> logged;
    QueueOptions quiet;
    quiet.log = [&](const std::string& line) { logged.push_back(line); };
    {
        auto q = open_ok(dir.path, quiet);
        std::string a = submit_ok(*q, body1);
        BOOST_TEST(*q->remove(a));
        BOOST_TEST(segment_files(dir.path).size() == 1u);  // current, so kept while the queue is open
    }
    BOOST_TEST(segment_files(dir.path).empty());

    std::string kept;
    quiet.segment_bytes = 1;  // every batch opens a new segment
    {
        auto q = open_ok(dir.path, quiet);
        std::string gone = submit_ok(*q, body1);
        kept = submit_ok(*q, body2);
        BOOST_TEST(segment_files(dir.path).size() == 2u);
        // `mailwarden queue delete` while the daemon runs: the admin never unlinks a segment.
        auto admin = open_for_admin(dir.path);
        BOOST_TEST_REQUIRE(admin.ok());
        BOOST_TEST(*(*admin)->remove(gone));
        BOOST_TEST(segment_files(dir.path).size() == 2u);
    }
    BOOST_TEST(segment_files(dir.path).size() == 1u);  // the one holding `kept`
    auto q = open_ok(dir.path, quiet);
    BOOST_TEST(*q->read_body(kept) == body2);
    std::string all;
    for (const auto& line : logged) all += line + "\n";
    BOOST_TEST(logged.empty(), all);
}

BOOST_AUTO_TEST_CASE(hold_release_due_and_flush) {
    TempDir dir;
    auto q = open_ok(dir.path);
    std::string a = submit_ok(*q, body1);
    std::string b = submit_ok(*q, body2);
    std::string c = submit_ok(*q, body1);
    const std::int64_t now = 1700000000;
    BOOST_TEST((ids(*q->due(now, 10)) == std::vector<std::string>{a, b, c}));
    BOOST_TEST((ids(*q->due(now, 2)) == std::vector<std::string>{a, b}));

    BOOST_TEST(*q->set_state(a, MessageState::hold));
    BOOST_TEST((ids(*q->due(now, 10)) == std::vector<std::string>{b, c}));
    BOOST_TEST(((*q->find(a))->state == MessageState::hold));

    auto rcpts = (*q->find(b))->envelope.recipients;
    BOOST_TEST(*q->update(b, rcpts, now + 3600, false));
    BOOST_TEST((ids(*q->due(now, 10)) == std::vector<std::string>{c}));
    BOOST_TEST((ids(*q->due(now + 3600, 10)) == std::vector<std::string>{b, c}));

    // flush: every active message is due now; held ones stay held.
    BOOST_TEST(*q->schedule_now() == 2u);
    BOOST_TEST((ids(*q->due(now, 10)) == std::vector<std::string>{b, c}));

    BOOST_TEST(*q->set_state(a, MessageState::active));
    BOOST_TEST((ids(*q->due(now, 10)) == std::vector<std::string>{a, b, c}));
    BOOST_TEST(!*q->set_state("0000000000000000", MessageState::hold));
    BOOST_TEST(!*q->remove("0000000000000000"));
    BOOST_TEST(*q->remove(b));
    BOOST_TEST(*q->size() == 2u);
}

// `queue flush DOMAIN`: only messages with a recipient still pending in that domain.
BOOST_AUTO_TEST_CASE(flush_one_domain) {
    TempDir dir;
    auto q = open_ok(dir.path);
    std::string net = submit_ok(*q, body1, "bob@example.net");
    std::string org = submit_ok(*q, body1, "carol@example.org");
    const std::int64_t now = 1700000000;
    for (const auto& id : {net, org}) {
        auto rcpts = (*q->find(id))->envelope.recipients;
        BOOST_TEST_REQUIRE(*q->update(id, rcpts, now + 3600, false));
    }
    BOOST_TEST(*q->schedule_now("EXAMPLE.NET") == 1u);
    BOOST_TEST((ids(*q->due(now, 10)) == std::vector<std::string>{net}));
    BOOST_TEST(*q->schedule_now("example.com") == 0u);
    BOOST_TEST(*q->schedule_now() == 2u);
    BOOST_TEST((ids(*q->due(now, 10)) == std::vector<std::string>{net, org}));
}

BOOST_AUTO_TEST_CASE(admin_access) {
    TempDir dir;
    BOOST_TEST(!open_for_admin(dir.path).ok());  // no queue there
    std::string id;
    {
        auto q = open_ok(dir.path);
        id = submit_ok(*q, body1);
    }
    auto admin = open_for_admin(dir.path);
    BOOST_TEST_REQUIRE(admin.ok());
    Queue& q = **admin;
    BOOST_TEST(*q.read_body(id) == body1);
    BOOST_TEST(*q.set_state(id, MessageState::hold));
    BOOST_TEST(!submit_sync(q, envelope("a@example.com", {"b@example.com"}), body1).ok());
    BOOST_TEST(*q.remove(id));
    // The admin leaves segment files to the daemon, which removes them at its next start.
    BOOST_TEST(segment_files(dir.path).size() == 1u);
    admin->reset();
    auto daemon = open_ok(dir.path);
    BOOST_TEST(segment_files(dir.path).empty());
}
