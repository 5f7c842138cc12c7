// RAII around LMDB (after hoytech/lmdbxx): move-only handles, a transaction aborts in its
// destructor unless committed, a missing key is std::nullopt, and every failure is an Error
// naming the C function that failed ("lmdb mdb_env_open").
#pragma once

#include <lmdb.h>

#include <memory>
#include <optional>
#include <string_view>
#include <utility>
#include <variant>

#include "core/result.hpp"

namespace mw::lmdb {

using Done = Result<std::monostate>;

// Error{temporary, "lmdb FUNCTION", mdb_strerror(rc), code}: LMDB failures are I/O or resource
// trouble. MDB_MAP_FULL has the code storage_full, which a writer answers by growing the map and
// trying again.
Error error(const char* function, int rc);

struct EnvDeleter {
    void operator()(MDB_env* env) const { mdb_env_close(env); }
};

class Env {
public:
    static Result<Env> create();
    Done set_mapsize(std::size_t bytes);
    Done open(const char* path, unsigned flags, mdb_mode_t mode);
    Done sync(bool force);
    MDB_env* get() const { return env_.get(); }

private:
    std::unique_ptr<MDB_env, EnvDeleter> env_;
};

class Txn {
public:
    static Result<Txn> begin(const Env& env, unsigned flags);
    Txn(Txn&& other) noexcept : txn_(std::exchange(other.txn_, nullptr)) {}
    Txn& operator=(Txn&& other) noexcept;
    Txn(const Txn&) = delete;
    Txn& operator=(const Txn&) = delete;
    ~Txn() { abort(); }

    // The handle is cleared first: LMDB frees the transaction even when the commit fails.
    Done commit();
    void abort();
    Result<MDB_dbi> open_dbi(const char* name, unsigned flags);
    // nullopt when the key is absent (MDB_NOTFOUND is an answer, not an error). The view points
    // into the map and is valid until the transaction ends.
    Result<std::optional<std::string_view>> get(MDB_dbi dbi, std::string_view key) const;
    // false when the key exists and MDB_NOOVERWRITE/MDB_APPEND refused it (MDB_KEYEXIST).
    Result<bool> put(MDB_dbi dbi, std::string_view key, std::string_view value, unsigned flags);
    MDB_txn* get() const { return txn_; }

private:
    explicit Txn(MDB_txn* txn) : txn_(txn) {}
    MDB_txn* txn_ = nullptr;
};

}  // namespace mw::lmdb
