// Result<T>: the error convention of mailwarden.
//
// Verdicts are values (see decision.hpp); *failures* are Result<T> holding an Error. Exceptions are
// used only inside the rule loader and are caught at its boundary (load_rules never throws).
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace mw {

struct Error {
    enum class Kind { temporary, permanent, config };
    Kind kind = Kind::temporary;
    std::string origin;  // what failed: "lmdb mdb_get", "pcre2 match", ...
    std::string detail;  // for the log; never shown to SMTP clients (it may leak configuration)
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
