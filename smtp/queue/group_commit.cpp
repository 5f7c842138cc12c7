// The write side of LmdbQueue: submit() and the committer thread's group commit. Order within a
// round is what makes a 250 safe: bytes written -> one fdatasync of the segment -> one LMDB
// transaction with every index record -> one mdb_env_sync(force) -> callbacks. An index record is
// therefore never durable before the bytes it points to.
#include <iostream>

#include "smtp/queue/lmdb_queue.hpp"

namespace mw::smtp::queue {

namespace {

// The SMTP server answers storage_full with 452 4.3.1 (insufficient system storage) and everything
// else with 451; both are temporary for the client, whatever the kind of the queue's own error.
Error submit_error(const Error& e) { return Error{Error::Kind::temporary, e.origin, e.detail, e.code}; }

}  // namespace

LmdbQueue::LmdbQueue(std::filesystem::path root, QueueIndex index, const QueueOptions& options, bool admin,
                     std::uint64_t next_segment)
    : root_(std::move(root)),
      index_(std::move(index)),
      segments_(root_ / "segments"),
      log_(options.log),
      admin_(admin),
      segment_bytes_(options.segment_bytes),
      next_segment_(next_segment) {}

LmdbQueue::~LmdbQueue() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (committer_.joinable()) committer_.join();
    if (!admin_) close_segments();
}

void LmdbQueue::close_segments() {
    // The committer is gone, so nothing appends any more: the current segment is sealed like any
    // other, and every segment without a live message goes now -- the current one emptied by
    // deliveries, sealed ones emptied by `mailwarden queue delete` (the admin never unlinks). The next
    // open then finds only referenced segments, and reports unreferenced ones only after a crash.
    segments_.seal();
    current_segment_.store(0);
    auto present = segments_.existing();
    if (!present) return log("queue: closing: " + present.error().origin + ": " + present.error().detail);
    std::vector<std::uint64_t> empty;
    {
        auto txn = index_.read();
        if (!txn) return log("queue: closing: " + txn.error().origin + ": " + txn.error().detail);
        for (std::uint64_t n : *present) {
            auto live = index_.live_count(*txn, n);
            if (live && *live == 0) empty.push_back(n);
        }
    }
    if (empty.empty()) return;
    // Every index change was synced before it returned; once more, so no record that names these
    // files can come back after a crash.
    if (auto s = index_.sync(); !s) return log("queue: closing: " + s.error().origin + ": " + s.error().detail);
    for (std::uint64_t n : empty)
        if (auto u = segments_.unlink(n); !u) log("queue: closing: " + u.error().origin + ": " + u.error().detail);
    if (auto s = sync_directory(root_ / "segments"); !s) log("queue: closing: " + s.error().origin + ": " + s.error().detail);
}

void LmdbQueue::start_committer() {
    if (!admin_) committer_ = std::thread([this] { run_committer(); });
}

std::string LmdbQueue::new_id() { return ids_.next(); }

void LmdbQueue::submit(std::string id, Envelope envelope, std::string body,
                       std::function<void(Result<SubmitOk>)> done) {
    if (admin_) {
        done(Error{Error::Kind::permanent, "queue", "the queue is open for administration; submit is not allowed", ErrorCode::busy});
        return;
    }
    // The id names the segment record and sorts the index; anything else is a caller's bug.
    if (!IdGenerator::well_formed(id)) {
        done(Error{Error::Kind::permanent, "queue", "malformed queue id '" + id + "'", ErrorCode::invalid});
        return;
    }
    {
        std::lock_guard lock(mutex_);
        if (!stopping_) {
            pending_.push_back(Pending{std::move(id), std::move(envelope), std::move(body), std::move(done)});
            wake_.notify_one();
            return;
        }
    }
    done(Error{Error::Kind::temporary, "queue", "the queue is shutting down", ErrorCode::busy});
}

void LmdbQueue::run_committer() {
    std::unique_lock lock(mutex_);
    for (;;) {
        wake_.wait(lock, [this] { return stopping_ || !pending_.empty(); });
        if (pending_.empty()) return;  // stopping, and nothing left to make durable
        // Everything that arrived since the last round goes into this one.
        std::vector<Pending> batch;
        batch.swap(pending_);
        lock.unlock();
        commit_round(batch);
        lock.lock();
    }
}

void LmdbQueue::commit_round(std::vector<Pending>& batch) {
    rounds_.fetch_add(1);
    std::vector<Result<SubmitOk>> outcome;
    outcome.reserve(batch.size());
    auto finish = [&] {
        for (std::size_t i = 0; i < batch.size(); ++i) {
            try {
                batch[i].done(std::move(outcome[i]));
            } catch (const std::exception& e) {
                log("queue " + batch[i].id + ": submit callback threw: " + e.what());
            } catch (...) {
                log("queue " + batch[i].id + ": submit callback threw");
            }
        }
    };
    auto fail_all = [&](const Error& e) {
        outcome.assign(batch.size(), submit_error(e));
        finish();
    };

    // Rotation happens only between rounds, so every record of a round lies in one segment and a
    // segment stops being current only after its last round's index records are committed: a
    // sealed segment whose live count reaches zero can be unlinked without racing the committer.
    if (!segments_.has_current() || segments_.current_size() >= segment_bytes_) {
        bool had = segments_.has_current();
        std::uint64_t old = segments_.current();
        segments_.seal();
        if (auto started = segments_.start(next_segment_++); !started) return fail_all(started.error());
        current_segment_.store(segments_.current());
        if (had) reclaim(old, false);
    }

    std::vector<IndexRecord> records;
    records.reserve(batch.size());
    for (Pending& p : batch) {
        auto where = segments_.append(p.id, p.body);
        if (!where) {
            // After a failed write the file's tail is unknown: the next round starts a fresh segment.
            segments_.seal();
            return fail_all(where.error());
        }
        IndexRecord r;
        r.info.id = p.id;
        r.info.state = p.envelope.hold ? MessageState::hold : MessageState::active;
        r.info.envelope = std::move(p.envelope);
        r.info.size = p.body.size();
        r.location = *where;
        records.push_back(std::move(r));
        std::string().swap(p.body);  // the bytes are in the page cache now; do not hold them twice
    }
    if (auto synced = segments_.sync(); !synced) {
        // fsync errors may drop dirty pages and report once (Linux): never trust this file again.
        segments_.seal();
        return fail_all(synced.error());
    }

    auto txn = index_.write();
    if (!txn) return fail_all(txn.error());
    for (const IndexRecord& r : records) {
        auto inserted = index_.insert(*txn, r);
        if (!inserted) {
            // Aborted before any callback runs: a callback may well start a transaction of its own.
            txn->abort();
            return fail_all(inserted.error());
        }
        if (*inserted)
            outcome.emplace_back(SubmitOk{r.info.id});
        else
            outcome.emplace_back(Error{Error::Kind::permanent, "queue", "queue id " + r.info.id + " is already in use", ErrorCode::invalid});
    }
    if (auto committed = txn->commit(); !committed) return fail_all(committed.error());
    // Committed but not yet durable: a crash now loses these records, so nobody has been told 250.
    if (auto synced = index_.sync(); !synced) return fail_all(synced.error());
    finish();
}

void LmdbQueue::reclaim(std::uint64_t segment, bool synced) {
    if (admin_ || segment == 0 || segment == current_segment_.load()) return;
    auto txn = index_.read();
    if (!txn) return log("queue: segment clean-up: " + txn.error().origin + ": " + txn.error().detail);
    auto live = index_.live_count(*txn, segment);
    txn->abort();
    if (!live || *live != 0) return;
    if (!synced)
        if (auto s = index_.sync(); !s) return log("queue: segment clean-up: " + s.error().origin + ": " + s.error().detail);
    if (auto u = segments_.unlink(segment); !u) log("queue: segment clean-up: " + u.error().origin + ": " + u.error().detail);
}

void LmdbQueue::log(const std::string& line) const {
    if (log_)
        log_(line);
    else
        std::cerr << "mailwarden: " << line << "\n";
}

}  // namespace mw::smtp::queue
