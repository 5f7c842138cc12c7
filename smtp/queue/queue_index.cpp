#include "smtp/queue/queue_index.hpp"

#include <algorithm>
#include <memory>

namespace mw::smtp::queue {

namespace fs = std::filesystem;

namespace {

MDB_val to_val(std::string_view s) { return MDB_val{s.size(), const_cast<char*>(s.data())}; }
std::string_view view(const MDB_val& v) { return {static_cast<const char*>(v.mv_data), v.mv_size}; }

struct CursorCloser {
    void operator()(MDB_cursor* c) const { mdb_cursor_close(c); }
};
using CursorPtr = std::unique_ptr<MDB_cursor, CursorCloser>;

Result<CursorPtr> open_cursor(const lmdb::Txn& txn, MDB_dbi dbi) {
    MDB_cursor* raw = nullptr;
    if (int rc = mdb_cursor_open(txn.get(), dbi, &raw); rc != MDB_SUCCESS) return lmdb::error("mdb_cursor_open", rc);
    return CursorPtr(raw);
}

// The last key of a database, or "" when it is empty.
Result<std::string> last_key(const lmdb::Txn& txn, MDB_dbi dbi) {
    auto cursor = open_cursor(txn, dbi);
    if (!cursor) return cursor.error();
    MDB_val k{}, v{};
    int rc = mdb_cursor_get(cursor->get(), &k, &v, MDB_LAST);
    if (rc == MDB_NOTFOUND) return std::string();
    if (rc != MDB_SUCCESS) return lmdb::error("mdb_cursor_get", rc);
    return std::string(view(k));
}

}  // namespace

Result<QueueIndex> QueueIndex::open(const fs::path& dir, std::size_t map_size, bool create) {
    QueueIndex index;
    auto env = lmdb::Env::create();
    if (!env) return env.error();
    index.env_ = std::move(*env);
    if (int rc = mdb_env_set_maxdbs(index.env_.get(), 4); rc != MDB_SUCCESS) return lmdb::error("mdb_env_set_maxdbs", rc);
    if (auto r = index.env_.set_mapsize(map_size); !r) return r.error();
    if (auto r = index.env_.open(dir.c_str(), MDB_NOSYNC | MDB_NOTLS, 0600); !r) return r.error();
    auto txn = lmdb::Txn::begin(index.env_, create ? 0 : MDB_RDONLY);
    if (!txn) return txn.error();
    unsigned flags = create ? MDB_CREATE : 0;
    for (auto [db, name] : {std::pair{&index.messages_, "messages"}, std::pair{&index.segments_, "segments"},
                            std::pair{&index.corrupt_, "corrupt"}}) {
        auto dbi = txn->open_dbi(name, flags);
        if (!dbi) return dbi.error();
        *db = *dbi;
    }
    // Committing (even a read-only transaction) keeps the database handles open for the environment.
    if (auto r = txn->commit(); !r) return r.error();
    if (create)
        if (auto r = index.sync(); !r) return r.error();
    return index;
}

lmdb::Done QueueIndex::check_readers() {
    int dead = 0;
    if (int rc = mdb_reader_check(env_.get(), &dead); rc != MDB_SUCCESS) return lmdb::error("mdb_reader_check", rc);
    return std::monostate{};
}

Result<std::optional<IndexRecord>> QueueIndex::get(const lmdb::Txn& txn, std::string_view id) const {
    auto value = txn.get(messages_, id);
    if (!value) return value.error();
    if (!*value) return std::optional<IndexRecord>{};
    auto record = decode_record(id, **value);
    if (!record) return record.error();
    return std::optional<IndexRecord>(std::move(*record));
}

Result<bool> QueueIndex::insert(lmdb::Txn& txn, const IndexRecord& record) const {
    auto put = txn.put(messages_, record.info.id, encode_record(record), MDB_NOOVERWRITE);
    if (!put || !*put) return put;
    if (auto r = add_count(txn, record.location.segment, +1, nullptr); !r) return r.error();
    return true;
}

lmdb::Done QueueIndex::replace(lmdb::Txn& txn, const IndexRecord& record) const {
    auto put = txn.put(messages_, record.info.id, encode_record(record), 0);
    if (!put) return put.error();
    return std::monostate{};
}

Result<std::uint64_t> QueueIndex::erase(lmdb::Txn& txn, const IndexRecord& record) const {
    if (auto r = del(txn, Db::messages, record.info.id); !r) return r.error();
    std::uint64_t left = 0;
    if (auto r = add_count(txn, record.location.segment, -1, &left); !r) return r.error();
    return left;
}

lmdb::Done QueueIndex::set_aside(lmdb::Txn& txn, std::string_view id, std::string_view value) const {
    // Copied first: `value` may point into the page that the delete below frees.
    std::string copy(value);
    if (auto put = txn.put(corrupt_, id, copy, 0); !put) return put.error();
    return del(txn, Db::messages, id);
}

lmdb::Done QueueIndex::reset_counts(lmdb::Txn& txn, const std::map<std::uint64_t, std::uint64_t>& counts) const {
    if (int rc = mdb_drop(txn.get(), segments_, 0); rc != MDB_SUCCESS) return lmdb::error("mdb_drop", rc);
    for (auto [segment, count] : counts)
        if (auto put = txn.put(segments_, segment_key(segment), encode_u64(count), 0); !put) return put.error();
    return std::monostate{};
}

Result<std::uint64_t> QueueIndex::live_count(const lmdb::Txn& txn, std::uint64_t segment) const {
    auto value = txn.get(segments_, segment_key(segment));
    if (!value) return value.error();
    if (!*value) return std::uint64_t{0};
    return decode_u64(**value);
}

lmdb::Done QueueIndex::for_each(const lmdb::Txn& txn, Db db, const Visitor& visit) const {
    auto cursor = open_cursor(txn, dbi(db));
    if (!cursor) return cursor.error();
    MDB_val k{}, v{};
    for (int rc = mdb_cursor_get(cursor->get(), &k, &v, MDB_FIRST); rc != MDB_NOTFOUND;
         rc = mdb_cursor_get(cursor->get(), &k, &v, MDB_NEXT)) {
        if (rc != MDB_SUCCESS) return lmdb::error("mdb_cursor_get", rc);
        if (!visit(view(k), view(v))) break;
    }
    return std::monostate{};
}

lmdb::Done QueueIndex::for_each_message(const lmdb::Txn& txn, const std::function<bool(IndexRecord&)>& visit) const {
    std::optional<Error> failed;
    auto walked = for_each(txn, Db::messages, [&](std::string_view key, std::string_view value) {
        auto record = decode_record(key, value);
        if (!record) {
            failed = record.error();
            return false;
        }
        return visit(*record);
    });
    if (!walked) return walked.error();
    if (failed) return *failed;
    return std::monostate{};
}

Result<std::size_t> QueueIndex::entries(const lmdb::Txn& txn, Db db) const {
    MDB_stat st{};
    if (int rc = mdb_stat(txn.get(), dbi(db), &st); rc != MDB_SUCCESS) return lmdb::error("mdb_stat", rc);
    return static_cast<std::size_t>(st.ms_entries);
}

Result<std::string> QueueIndex::last_id(const lmdb::Txn& txn) const {
    auto a = last_key(txn, messages_);
    if (!a) return a;
    auto b = last_key(txn, corrupt_);
    if (!b) return b;
    return std::max(*a, *b);
}

lmdb::Done QueueIndex::del(lmdb::Txn& txn, Db db, std::string_view key) const {
    MDB_val k = to_val(key);
    if (int rc = mdb_del(txn.get(), dbi(db), &k, nullptr); rc != MDB_SUCCESS && rc != MDB_NOTFOUND)
        return lmdb::error("mdb_del", rc);
    return std::monostate{};
}

lmdb::Done QueueIndex::add_count(lmdb::Txn& txn, std::uint64_t segment, std::int64_t delta, std::uint64_t* now) const {
    auto current = live_count(txn, segment);
    if (!current) return current.error();
    std::uint64_t count = *current;
    // Never below zero: a count repaired at the next start is better than a wrapped one.
    count = delta < 0 ? (count > 0 ? count - 1 : 0) : count + static_cast<std::uint64_t>(delta);
    if (now) *now = count;
    if (count == 0) return del(txn, Db::segments, segment_key(segment));
    auto put = txn.put(segments_, segment_key(segment), encode_u64(count), 0);
    if (!put) return put.error();
    return std::monostate{};
}

}  // namespace mw::smtp::queue
