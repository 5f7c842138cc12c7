// Opening the queue: directories, the index, and recovery after a crash. Recovery trusts nothing
// the index says about bodies: every record is checked against its segment (present, in range,
// header and checksums matching), a bad one is set aside in the "corrupt" database and logged,
// live counts are recomputed, and segment files no record references (the tail of a batch whose
// index records never became durable) are removed.
#include <algorithm>
#include <iostream>
#include <map>
#include <system_error>
#include <vector>

#include "smtp/queue/lmdb_queue.hpp"

namespace mw::smtp::queue {

namespace fs = std::filesystem;

namespace {

Error dir_error(const fs::path& dir, const std::error_code& ec) {
    return Error{Error::Kind::temporary, "create " + dir.string(), ec.message(), ErrorCode::io};
}

// Creates `dir` and missing parents, then fsyncs the parent of each one created: otherwise a crash
// soon after the first start could lose the whole queue directory with acknowledged mail in it.
Result<std::monostate> make_dir(const fs::path& dir) {
    std::vector<fs::path> missing;
    std::error_code ec;
    for (fs::path p = dir; !p.empty() && !fs::exists(p, ec); p = p.parent_path()) {
        missing.push_back(p);
        if (p == p.parent_path()) break;
    }
    fs::create_directories(dir, ec);
    if (ec) return dir_error(dir, ec);
    for (const fs::path& p : missing)
        if (auto synced = sync_directory(p.parent_path().empty() ? fs::path(".") : p.parent_path()); !synced)
            return synced.error();
    return std::monostate{};
}

struct Recovery {
    std::map<std::uint64_t, std::uint64_t> counts;  // segment -> live messages
    std::uint64_t highest_segment = 0;              // referenced by any record, good or set aside
    std::size_t set_aside = 0;
};

Result<Recovery> recover(QueueIndex& index, const SegmentStore& segments, const QueueLog& log) {
    Recovery found;
    auto txn = index.write();
    if (!txn) return txn.error();
    std::vector<std::pair<std::string, std::string>> bad;  // id, stored value
    std::optional<Error> fatal;
    auto walked = index.for_each(*txn, QueueIndex::Db::messages, [&](std::string_view key, std::string_view value) {
        auto record = decode_record(key, value);
        std::string why;
        if (!record) {
            why = record.error().detail;
        } else {
            found.highest_segment = std::max(found.highest_segment, record->location.segment);
            auto body = segments.read(key, record->location);
            if (body) {
                ++found.counts[record->location.segment];
                return true;
            }
            // An I/O error says nothing about the record: fail the open rather than set aside mail.
            if (body.error().kind == Error::Kind::temporary) {
                fatal = body.error();
                return false;
            }
            why = body.error().detail;
        }
        log("queue " + std::string(key) + ": set aside, never delivered: " + why);
        bad.emplace_back(std::string(key), std::string(value));
        return true;
    });
    if (!walked) return walked.error();
    if (fatal) return *fatal;
    for (const auto& [id, value] : bad)
        if (auto moved = index.set_aside(*txn, id, value); !moved) return moved.error();
    found.set_aside = bad.size();
    // Records set aside earlier still name their segment: new segment numbers stay above them too.
    walked = index.for_each(*txn, QueueIndex::Db::corrupt, [&](std::string_view key, std::string_view value) {
        if (auto record = decode_record(key, value))
            found.highest_segment = std::max(found.highest_segment, record->location.segment);
        return true;
    });
    if (!walked) return walked.error();
    if (auto reset = index.reset_counts(*txn, found.counts); !reset) return reset.error();
    if (auto committed = txn->commit(); !committed) return committed.error();
    if (auto synced = index.sync(); !synced) return synced.error();
    return found;
}

QueueLog with_default(QueueLog log) {
    if (log) return log;
    return [](const std::string& line) { std::cerr << "mailwarden: " << line << "\n"; };
}

}  // namespace

Result<std::unique_ptr<Queue>> Queue::open(const fs::path& state_dir, std::size_t map_size, QueueLog log) {
    QueueOptions options;
    options.map_size = map_size;
    options.log = std::move(log);
    return open(state_dir, options);
}

Result<std::unique_ptr<Queue>> Queue::open(const fs::path& state_dir, const QueueOptions& given) {
    QueueOptions options = given;
    options.log = with_default(options.log);
    fs::path root = state_dir / "queue";
    for (const fs::path& dir : {root / "segments", root / "index"})
        if (auto made = make_dir(dir); !made) return made.error();

    auto index = QueueIndex::open(root / "index", options.map_size, true);
    if (!index) return index.error();
    // mdb_env_sync makes data.mdb's contents durable, not its name in the directory.
    if (auto synced = sync_directory(root / "index"); !synced) return synced.error();
    if (auto checked = index->check_readers(); !checked) return checked.error();

    SegmentStore segments(root / "segments");
    auto found = recover(*index, segments, options.log);
    if (!found) return found.error();

    // After the index sync in recover(): a segment is removed only once no durable record names it.
    auto present = segments.existing();
    if (!present) return present.error();
    std::uint64_t highest = found->highest_segment;
    bool removed = false;
    for (std::uint64_t n : *present) {
        highest = std::max(highest, n);
        if (found->counts.count(n)) continue;
        if (auto gone = segments.unlink(n); !gone) return gone.error();
        // A clean close leaves no such file (LmdbQueue::close_segments): this one was left by a
        // crash, or emptied by `mailwarden queue delete` while the daemon was stopped.
        options.log("queue: removed unreferenced segment " + segments.path_of(n).filename().string());
        removed = true;
    }
    if (removed)
        if (auto synced = sync_directory(root / "segments"); !synced) return synced.error();

    auto last = [&]() -> Result<std::string> {
        auto txn = index->read();
        if (!txn) return txn.error();
        return index->last_id(*txn);
    }();
    if (!last) return last.error();

    // Never append to a segment from before the restart: its tail may be a torn batch.
    auto queue = std::make_unique<LmdbQueue>(root, std::move(*index), options, false, highest + 1);
    queue->seed_ids(*last);
    queue->start_committer();
    return std::unique_ptr<Queue>(std::move(queue));
}

Result<std::unique_ptr<Queue>> open_for_admin(const fs::path& state_dir) {
    fs::path root = state_dir / "queue";
    std::error_code ec;
    if (!fs::exists(root / "index" / "data.mdb", ec))
        return Error{Error::Kind::permanent, "queue", "no queue in " + root.string(), ErrorCode::not_found};
    QueueOptions options;
    options.log = with_default(options.log);
    // The daemon may be running: no recovery, no segment clean-up, only reader-slot hygiene.
    auto index = QueueIndex::open(root / "index", options.map_size, false);
    if (!index) return index.error();
    if (auto checked = index->check_readers(); !checked) return checked.error();
    return std::unique_ptr<Queue>(std::make_unique<LmdbQueue>(root, std::move(*index), options, true, 0));
}

}  // namespace mw::smtp::queue
