// Helpers for the local delivery tests, which link only the standalone MTA's library: temporary
// directories, rules from TOML, an in-memory queue::Queue, and waiting for a worker thread.
#pragma once

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "policy/loader.hpp"
#include "smtp/queue/queue.hpp"

namespace mw::delivery_test {

namespace fs = std::filesystem;

// A fresh directory under $TMPDIR (CTest sets it to the build tree), removed at the end.
class TempDir {
public:
    explicit TempDir(const std::string& tag) {
        const char* tmp = std::getenv("TMPDIR");
        fs::path base = tmp && *tmp ? fs::path(tmp) : fs::temp_directory_path();
        std::random_device rd;
        for (int attempt = 0; attempt < 100 && path_.empty(); ++attempt) {
            fs::path candidate = base / ("mw-" + tag + "-" + std::to_string(rd()));
            std::error_code ec;
            if (fs::create_directories(candidate, ec)) path_ = candidate;
        }
        if (path_.empty()) throw std::runtime_error("cannot create a temporary directory under " + base.string());
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const fs::path& path() const { return path_; }
    fs::path write(const std::string& name, const std::string& content) const {
        fs::path p = path_ / name;
        fs::create_directories(p.parent_path());
        std::ofstream out(p, std::ios::binary | std::ios::trunc);
        out << content;
        return p;
    }

private:
    fs::path path_;
};

inline std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

inline std::vector<fs::path> files_in(const fs::path& dir) {
    std::vector<fs::path> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
}

inline const char* const delivery_rules = R"([organization]
hostname = "mx.example.com"

[[accepted_domain]]
domain = "example.com"
type = "authoritative"

[[accepted_domain]]
domain = "*.example.com"
type = "authoritative"

[[accepted_domain]]
domain = "relay.example.com"
type = "internal-relay"

[[accepted_domain]]
domain = "partner.example"
type = "external-relay"
)";

// Loads rules/rules.toml under `dir` through the real loader; fails the test unless it loads.
inline std::shared_ptr<const policy::Ruleset> load_rules(const TempDir& dir, const std::string& toml) {
    dir.write("rules/rules.toml", toml);
    auto result = policy::load_rules({dir.path() / "rules", dir.path() / "state"});
    std::string all;
    for (const auto& d : result.diagnostics) all += d.str() + "\n";
    BOOST_TEST_REQUIRE(result.ok(), "rules did not load:\n" << all);
    return result.ruleset;
}

// queue::Queue in memory: submit() completes at once (or fails when told to).
class FakeQueue : public smtp::queue::Queue {
public:
    std::string new_id() override {
        std::lock_guard lock(mutex_);
        char buf[17];
        std::snprintf(buf, sizeof buf, "%016llX", static_cast<unsigned long long>(++next_id_));
        return buf;
    }
    void submit(std::string id, smtp::queue::Envelope envelope, std::string body,
                std::function<void(Result<smtp::queue::SubmitOk>)> done) override {
        {
            std::lock_guard lock(mutex_);
            if (fail_submit) {
                done(Error{Error::Kind::temporary, "fake", "submit refused"});
                return;
            }
            smtp::queue::MessageInfo info;
            info.id = id;
            info.envelope = std::move(envelope);
            info.size = body.size();
            messages_[id] = info;
            bodies_[id] = std::move(body);
            order_.push_back(id);
        }
        done(smtp::queue::SubmitOk{id});
    }
    // Test helper: queue a message synchronously and return its id.
    std::string add(smtp::queue::Envelope envelope, std::string body) {
        std::string id = new_id();
        submit(id, std::move(envelope), std::move(body), [](Result<smtp::queue::SubmitOk>) {});
        return id;
    }
    Result<std::vector<smtp::queue::MessageInfo>> list() override {
        std::lock_guard lock(mutex_);
        std::vector<smtp::queue::MessageInfo> out;
        for (const auto& id : order_)
            if (messages_.contains(id)) out.push_back(messages_.at(id));
        return out;
    }
    Result<std::optional<smtp::queue::MessageInfo>> find(const std::string& id) override {
        std::lock_guard lock(mutex_);
        if (!messages_.contains(id)) return std::optional<smtp::queue::MessageInfo>();
        return std::optional<smtp::queue::MessageInfo>(messages_.at(id));
    }
    Result<std::string> read_body(const std::string& id) override {
        std::lock_guard lock(mutex_);
        if (!bodies_.contains(id)) return Error{Error::Kind::permanent, "fake", "no such message"};
        return bodies_.at(id);
    }
    Result<std::vector<smtp::queue::MessageInfo>> due(std::int64_t now, std::size_t limit) override {
        std::lock_guard lock(mutex_);
        ++due_calls;
        std::vector<smtp::queue::MessageInfo> out;
        for (const auto& id : order_) {
            auto it = messages_.find(id);
            if (it == messages_.end() || it->second.state != smtp::queue::MessageState::active) continue;
            if (it->second.next_attempt <= now && out.size() < limit) out.push_back(it->second);
        }
        return out;
    }
    Result<bool> update(const std::string& id, const std::vector<smtp::queue::Recipient>& recipients,
                        std::int64_t next_attempt, bool delay_warned) override {
        std::lock_guard lock(mutex_);
        ++updates;
        auto it = messages_.find(id);
        if (it == messages_.end()) return false;
        it->second.envelope.recipients = recipients;
        it->second.next_attempt = next_attempt;
        it->second.delay_warned = delay_warned;
        bool done = std::none_of(recipients.begin(), recipients.end(), [](const auto& r) {
            return r.state == smtp::queue::RecipientState::pending;
        });
        if (done) {
            removed_.push_back(it->second);
            messages_.erase(it);
            bodies_.erase(id);
        }
        return true;
    }
    Result<bool> remove(const std::string& id) override {
        std::lock_guard lock(mutex_);
        bodies_.erase(id);
        return messages_.erase(id) > 0;
    }
    Result<bool> set_state(const std::string& id, smtp::queue::MessageState state) override {
        std::lock_guard lock(mutex_);
        auto it = messages_.find(id);
        if (it == messages_.end()) return false;
        it->second.state = state;
        return true;
    }
    Result<std::size_t> schedule_now(std::string_view domain) override {
        std::lock_guard lock(mutex_);
        std::size_t n = 0;
        for (auto& [id, m] : messages_) {
            if (!domain.empty() && !smtp::queue::has_pending_recipient_in(m.envelope, domain)) continue;
            m.next_attempt = 0;
            ++n;
        }
        return n;
    }
    Result<std::size_t> size() override {
        std::lock_guard lock(mutex_);
        return messages_.size();
    }

    // Removed messages (every recipient done), in order, with their final recipient states.
    std::vector<smtp::queue::MessageInfo> removed() {
        std::lock_guard lock(mutex_);
        return removed_;
    }
    std::optional<smtp::queue::MessageInfo> get(const std::string& id) { return *find(id); }
    std::string body(const std::string& id) { return *read_body(id); }

    std::atomic<bool> fail_submit{false};
    std::atomic<int> due_calls{0};
    std::atomic<int> updates{0};

private:
    std::mutex mutex_;
    unsigned long long next_id_ = 0;
    std::map<std::string, smtp::queue::MessageInfo> messages_;
    std::map<std::string, std::string> bodies_;
    std::vector<std::string> order_;
    std::vector<smtp::queue::MessageInfo> removed_;
};

// Polls `condition` until it holds or `timeout` passes.
template <typename F>
bool wait_until(F condition, std::chrono::milliseconds timeout = std::chrono::milliseconds(10'000)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (condition()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return condition();
}

}  // namespace mw::delivery_test
