#include "core/lmdb.hpp"

#include <string>

namespace mw::lmdb {

namespace {

MDB_val to_val(std::string_view s) { return MDB_val{s.size(), const_cast<char*>(s.data())}; }

}  // namespace

Error error(const char* function, int rc) {
    ErrorCode code = rc == MDB_MAP_FULL ? ErrorCode::storage_full
                     : rc == MDB_NOTFOUND ? ErrorCode::not_found
                     : rc == MDB_CORRUPTED || rc == MDB_PAGE_NOTFOUND || rc == MDB_INVALID ? ErrorCode::corrupt
                     : ErrorCode::io;
    return Error{Error::Kind::temporary, std::string("lmdb ") + function, mdb_strerror(rc), code};
}

Result<Env> Env::create() {
    MDB_env* raw = nullptr;
    if (int rc = mdb_env_create(&raw); rc != MDB_SUCCESS) return error("mdb_env_create", rc);
    Env env;
    env.env_.reset(raw);
    return env;
}

Done Env::set_mapsize(std::size_t bytes) {
    if (int rc = mdb_env_set_mapsize(env_.get(), bytes); rc != MDB_SUCCESS) return error("mdb_env_set_mapsize", rc);
    return std::monostate{};
}

Done Env::open(const char* path, unsigned flags, mdb_mode_t mode) {
    if (int rc = mdb_env_open(env_.get(), path, flags, mode); rc != MDB_SUCCESS) return error("mdb_env_open", rc);
    return std::monostate{};
}

Done Env::sync(bool force) {
    if (int rc = mdb_env_sync(env_.get(), force ? 1 : 0); rc != MDB_SUCCESS) return error("mdb_env_sync", rc);
    return std::monostate{};
}

Result<Txn> Txn::begin(const Env& env, unsigned flags) {
    MDB_txn* raw = nullptr;
    if (int rc = mdb_txn_begin(env.get(), nullptr, flags, &raw); rc != MDB_SUCCESS) return error("mdb_txn_begin", rc);
    return Txn(raw);
}

Txn& Txn::operator=(Txn&& other) noexcept {
    if (this != &other) {
        abort();
        txn_ = std::exchange(other.txn_, nullptr);
    }
    return *this;
}

Done Txn::commit() {
    MDB_txn* txn = std::exchange(txn_, nullptr);
    if (int rc = mdb_txn_commit(txn); rc != MDB_SUCCESS) return error("mdb_txn_commit", rc);
    return std::monostate{};
}

void Txn::abort() {
    if (txn_) mdb_txn_abort(std::exchange(txn_, nullptr));
}

Result<MDB_dbi> Txn::open_dbi(const char* name, unsigned flags) {
    MDB_dbi dbi = 0;
    if (int rc = mdb_dbi_open(txn_, name, flags, &dbi); rc != MDB_SUCCESS) return error("mdb_dbi_open", rc);
    return dbi;
}

Result<std::optional<std::string_view>> Txn::get(MDB_dbi dbi, std::string_view key) const {
    MDB_val k = to_val(key), v{};
    int rc = mdb_get(txn_, dbi, &k, &v);
    if (rc == MDB_NOTFOUND) return std::optional<std::string_view>{};
    if (rc != MDB_SUCCESS) return error("mdb_get", rc);
    return std::optional<std::string_view>(std::string_view(static_cast<const char*>(v.mv_data), v.mv_size));
}

Result<bool> Txn::put(MDB_dbi dbi, std::string_view key, std::string_view value, unsigned flags) {
    MDB_val k = to_val(key), v = to_val(value);
    int rc = mdb_put(txn_, dbi, &k, &v, flags);
    if (rc == MDB_KEYEXIST) return false;
    if (rc != MDB_SUCCESS) return error("mdb_put", rc);
    return true;
}

}  // namespace mw::lmdb
