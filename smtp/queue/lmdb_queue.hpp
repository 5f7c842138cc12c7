// The Queue implementation: segment files for bodies, an LMDB index for envelopes and state, and one
// committer thread doing group commit (see queue.hpp for the protocol). Declared in a header of its
// own so tests can observe group commit (commit_rounds()) rather than assume it.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

#include "smtp/queue/queue.hpp"
#include "smtp/queue/queue_id.hpp"
#include "smtp/queue/queue_index.hpp"
#include "smtp/queue/segment_store.hpp"

namespace mw::smtp::queue {

class LmdbQueue final : public Queue {
public:
    // Used by open()/open_for_admin() once recovery is done. `admin`: no committer thread, submit()
    // refused, segment files never unlinked (the daemon owns them).
    LmdbQueue(std::filesystem::path root, QueueIndex index, const QueueOptions& options, bool admin,
              std::uint64_t next_segment);
    // Completes every pending submit, joins the committer, then (not for admin access) removes the
    // segments that hold no live message, so a clean stop leaves nothing for recovery to report.
    ~LmdbQueue() override;
    LmdbQueue(const LmdbQueue&) = delete;
    LmdbQueue& operator=(const LmdbQueue&) = delete;

    void seed_ids(std::string_view last_id) { ids_.seed(last_id); }
    void start_committer();

    std::string new_id() override;
    void submit(std::string id, Envelope envelope, std::string body,
                std::function<void(Result<SubmitOk>)> done) override;
    Result<std::vector<MessageInfo>> list() override;
    Result<std::optional<MessageInfo>> find(const std::string& id) override;
    Result<std::string> read_body(const std::string& id) override;
    Result<std::vector<MessageInfo>> due(std::int64_t now, std::size_t limit) override;
    Result<bool> update(const std::string& id, const std::vector<Recipient>& recipients, std::int64_t next_attempt,
                        bool delay_warned) override;
    Result<bool> remove(const std::string& id) override;
    Result<bool> set_state(const std::string& id, MessageState state) override;
    Result<std::size_t> schedule_now(std::string_view domain) override;
    Result<std::size_t> size() override;

    // Batches the committer has made durable so far (one segment fdatasync and one index sync each).
    std::uint64_t commit_rounds() const { return rounds_.load(); }
    // The segment new messages go to; 0 before the first batch.
    std::uint64_t current_segment() const { return current_segment_.load(); }

private:
    struct Pending {
        std::string id;
        Envelope envelope;
        std::string body;
        std::function<void(Result<SubmitOk>)> done;
    };

    void run_committer();
    void commit_round(std::vector<Pending>& batch);
    // Unlinks `segment` when it is sealed and holds no live message. `synced`: the transaction that
    // emptied it is already durable (else the index is synced first, so a crash can never leave a
    // record pointing into a removed file).
    void reclaim(std::uint64_t segment, bool synced);
    // At a clean close: seals the current segment and unlinks every segment without live messages.
    void close_segments();
    // Read-modify-write of one message in its own durable transaction; false when it is not queued.
    Result<bool> modify(const std::string& id, const std::function<bool(IndexRecord&)>& change);
    void log(const std::string& line) const;

    std::filesystem::path root_;
    QueueIndex index_;
    SegmentStore segments_;
    IdGenerator ids_;
    QueueLog log_;
    bool admin_;
    std::uint64_t segment_bytes_;
    std::uint64_t next_segment_;  // committer only
    std::atomic<std::uint64_t> current_segment_{0};
    std::atomic<std::uint64_t> rounds_{0};

    std::mutex mutex_;
    std::condition_variable wake_;
    std::vector<Pending> pending_;
    bool stopping_ = false;
    std::thread committer_;
};

}  // namespace mw::smtp::queue
