// Result<T>: the error convention of mailwarden's data plane (docs/conventions.md "Errors").
//
// Verdicts are values (policy/decision.hpp); *failures* are Result<T> holding an Error. Callers
// decide by the error's code, never by its text: the text is for the log.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace mw {

// What went wrong, for callers that must react differently (a full disk is 452, anything else 451).
enum class ErrorCode {
    internal,      // a bug or an impossible state; nothing the admin can fix from the message
    io,            // an I/O or system call failed
    storage_full,  // the disk or the LMDB map is full: retry later, after the admin made room
    not_found,     // what was asked for does not exist (a queue id, a file)
    corrupt,       // stored data fails its checks (a truncated record, a bad CRC)
    invalid,       // the request itself is malformed (a bad queue id)
    busy,          // refused for now: shutting down, opened read-only for administration
    config,        // a configuration file or value is wrong
};
const char* to_string(ErrorCode code);  // "storage_full", ...

struct Error {
    enum class Kind { temporary, permanent, config };
    Kind kind = Kind::temporary;
    std::string origin;  // what failed: "lmdb mdb_get", "pcre2 match", ...
    std::string detail;  // for the log; never shown to SMTP clients (it may leak configuration)
    ErrorCode code = ErrorCode::internal;
    bool is(ErrorCode c) const { return code == c; }
};

template <typename T>
class Result {
public:
    Result(T value) : v_(std::move(value)) {}          // NOLINT: implicit by design
    Result(Error error) : v_(std::move(error)) {}      // NOLINT
    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }
    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    const Error& error() const { return std::get<1>(v_); }

private:
    std::variant<T, Error> v_;
};

}  // namespace mw
