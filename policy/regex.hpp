// PCRE2 regular expressions, JIT-compiled once per rules load; match data per call.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

struct pcre2_real_code_8;

namespace mw {

struct Pcre2CodeDeleter {
    void operator()(pcre2_real_code_8* code) const;
};
using Pcre2CodePtr = std::unique_ptr<pcre2_real_code_8, Pcre2CodeDeleter>;

class Regex {
public:
    // Compiles with PCRE2_UTF | PCRE2_MATCH_INVALID_UTF (mail headers are not always valid UTF-8)
    // and JIT. On failure: nullopt and `error` = PCRE2's own message, `error_offset` = the offset in
    // the pattern (0-based) PCRE2 reports.
    static std::optional<Regex> compile(std::string_view pattern, std::string& error, std::size_t& error_offset);

    // Match / no match, or an Error (match limit, resource failure): the caller fails closed.
    Result<bool> search(std::string_view subject) const;
    const std::string& pattern() const { return pattern_; }

private:
    std::shared_ptr<pcre2_real_code_8> code_;  // shared: a Ruleset is copied into explain traces cheaply
    std::string pattern_;
};

}  // namespace mw
