// List files ("file:NAME"), compiled to LMDB and memory-mapped.
//
// A list file holds one entry a line; '#' starts a comment; blank lines are skipped. Entries are
// address patterns (user@example.com, @example.com, @*.example.com), normalized like rule entries.
// The compiled database lives in STATE_DIR/lists/<name>.<hash>.mdb, where <hash> covers the source
// file's content: an unchanged list is never rebuilt, and a changed one is built into a temporary
// file and renamed into place, so a reader never sees a half-built list.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "policy/address.hpp"
#include "core/result.hpp"

namespace mw {

struct ListEntryError {
    int line = 0;
    int col = 0;
    std::string message;
};

class ListStore {
public:
    // Compiles (or reuses) `source` into `state_dir`. Entry errors are collected in `entry_errors`
    // (with line/col in the list file); a missing file or an LMDB failure is an Error.
    static Result<std::shared_ptr<const ListStore>> open(const std::filesystem::path& source,
                                                         const std::filesystem::path& state_dir,
                                                         std::vector<ListEntryError>& entry_errors);
    ~ListStore();
    ListStore(const ListStore&) = delete;
    ListStore& operator=(const ListStore&) = delete;

    // True if the address matches an entry: the address itself, "@domain", or "@*.parent" for any
    // parent domain. An LMDB failure is an Error (the caller fails closed).
    Result<bool> contains(const Address& address) const;
    // True if the domain (not an address) is listed as "@domain" or matched by "@*.parent".
    Result<bool> contains_domain(std::string_view domain) const;
    std::size_t size() const { return entries_; }
    const std::filesystem::path& source() const { return source_; }
    const std::filesystem::path& database() const { return database_; }

    struct Impl;

private:
    ListStore() = default;
    std::unique_ptr<Impl> impl_;
    std::size_t entries_ = 0;
    std::filesystem::path source_;
    std::filesystem::path database_;
};

}  // namespace mw
