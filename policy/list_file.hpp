// Reading a list file ("file:NAME") into the normalized keys the compiled list stores.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/list_store.hpp"

namespace mw {

// The normalized key of one entry: "user@example.com", "@example.com" or "@*.example.com".
// nullopt and `error` set (e.g. "invalid address 'x@': missing domain") for a bad entry.
std::optional<std::string> list_entry_key(std::string_view entry, std::string& error);

struct ParsedList {
    // Every key back to back: one allocation, not a million. A vector, unlike a short string,
    // keeps its buffer when moved, so `keys` stay valid when a ParsedList is moved.
    std::vector<char> storage;
    std::vector<std::string_view> keys;   // into storage; sorted bytewise (LMDB's order), unique
    std::vector<ListEntryError> errors;   // at most max_reported_errors, then one summary line
};

// Diagnostics beyond this many are summed up in one final error, so that a wrong file (say, a
// CSV export) yields a readable report instead of a million lines.
inline constexpr std::size_t max_reported_errors = 1000;

// One entry a line; '#' anywhere starts a comment; surrounding whitespace and blank lines are
// ignored; a UTF-8 byte-order mark at the start is skipped. Columns count bytes, from 1.
ParsedList parse_list(std::string_view content);

}  // namespace mw
