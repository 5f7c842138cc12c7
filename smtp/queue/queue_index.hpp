// The queue's LMDB index under STATE_DIR/queue/index/ (MDB_NOSYNC | MDB_NOTLS: durability comes from
// one explicit mdb_env_sync(force) per batch or update, and transactions may cross threads).
// Named databases:
//   messages  id (16 chars) -> IndexRecord (record_codec.hpp)
//   segments  segment number (8 bytes big-endian) -> live message count (u64 LE); a segment with no
//             live message has no key
//   corrupt   id -> the record of a message set aside by recovery: never delivered, kept for admins
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/lmdb.hpp"
#include "smtp/queue/record_codec.hpp"

namespace mw::smtp::queue {

class QueueIndex {
public:
    enum class Db { messages, segments, corrupt };
    // Visits key/value pairs in key order; return false to stop.
    using Visitor = std::function<bool(std::string_view key, std::string_view value)>;

    // `create`: make the environment and databases when absent; otherwise they must exist.
    static Result<QueueIndex> open(const std::filesystem::path& dir, std::size_t map_size, bool create);

    Result<lmdb::Txn> read() const { return lmdb::Txn::begin(env_, MDB_RDONLY); }
    Result<lmdb::Txn> write() const { return lmdb::Txn::begin(env_, 0); }
    // mdb_env_sync(force): what makes committed transactions durable under MDB_NOSYNC.
    lmdb::Done sync() { return env_.sync(true); }
    // Clears stale reader slots left by crashed processes (mdb_reader_check).
    lmdb::Done check_readers();

    Result<std::optional<IndexRecord>> get(const lmdb::Txn& txn, std::string_view id) const;
    // A new message: false (and nothing changed) when the id is already queued. Counts it in its segment.
    Result<bool> insert(lmdb::Txn& txn, const IndexRecord& record) const;
    // Replaces an existing message's record (same body location).
    lmdb::Done replace(lmdb::Txn& txn, const IndexRecord& record) const;
    // Drops a message and returns how many live messages its segment still holds.
    Result<std::uint64_t> erase(lmdb::Txn& txn, const IndexRecord& record) const;
    // Moves the stored record of `id` to the corrupt database.
    lmdb::Done set_aside(lmdb::Txn& txn, std::string_view id, std::string_view value) const;
    // Replaces the whole segments database with `counts`.
    lmdb::Done reset_counts(lmdb::Txn& txn, const std::map<std::uint64_t, std::uint64_t>& counts) const;
    Result<std::uint64_t> live_count(const lmdb::Txn& txn, std::uint64_t segment) const;

    lmdb::Done for_each(const lmdb::Txn& txn, Db db, const Visitor& visit) const;
    // Every message record in id (arrival) order, decoded; `visit` returns false to stop. A record
    // that does not decode ends the walk with its error.
    lmdb::Done for_each_message(const lmdb::Txn& txn, const std::function<bool(IndexRecord&)>& visit) const;
    Result<std::size_t> entries(const lmdb::Txn& txn, Db db) const;
    // The greatest id in messages and corrupt ("" when both are empty): seeds the id generator.
    Result<std::string> last_id(const lmdb::Txn& txn) const;

private:
    QueueIndex() = default;
    MDB_dbi dbi(Db db) const { return db == Db::messages ? messages_ : db == Db::segments ? segments_ : corrupt_; }
    lmdb::Done del(lmdb::Txn& txn, Db db, std::string_view key) const;
    lmdb::Done add_count(lmdb::Txn& txn, std::uint64_t segment, std::int64_t delta, std::uint64_t* now) const;

    lmdb::Env env_;
    MDB_dbi messages_ = 0, segments_ = 0, corrupt_ = 0;
};

}  // namespace mw::smtp::queue
