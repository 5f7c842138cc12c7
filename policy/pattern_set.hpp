// Many patterns, one scan: all of a ruleset's patterns for one field (the Subject, one header name,
// the body text, attachment names, ...) are compiled together into Hyperscan databases, so one pass
// over a value finds every pattern that may match, whatever the number of rules.
//
// PCRE2 stays the meaning of a pattern: Hyperscan runs in prefilter mode (it may report a pattern
// that does not match, never miss one that does) and every candidate is confirmed with the
// pattern's PCRE2 program. A pattern Hyperscan cannot compile, a pattern whose meaning the two could
// read differently (non-ASCII, code-point escapes, Unicode properties, caseless k or s, which PCRE2
// also folds to U+212A and U+017F), and every pattern on a value that is not valid UTF-8 (Hyperscan's
// UTF-8 mode requires it), are matched with PCRE2 alone. Texts
// (`*_contains`) are case-insensitive ASCII substrings and need no confirmation.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "policy/regex.hpp"

namespace mw::policy {

using PatternId = std::uint32_t;

// The outcome of scanning values against one PatternSet: per pattern, matched or not, or failed
// (PCRE2 reported an error such as its match limit: the caller fails closed, 451 4.3.0).
class PatternHits {
public:
    void reset(std::size_t patterns);  // all "no match"; sized for a set of `patterns`
    bool matched(PatternId id) const { return id < state_.size() && state_[id] == matched_state; }
    bool failed(PatternId id) const { return id < state_.size() && state_[id] == failed_state; }
    void mark_matched(PatternId id);   // a failure is not overwritten by a later match
    void mark_failed(PatternId id);
    bool decided(PatternId id) const { return id < state_.size() && state_[id] != 0; }

private:
    static constexpr std::uint8_t matched_state = 1, failed_state = 2;
    std::vector<std::uint8_t> state_;
};

class PatternSet {
public:
    PatternSet();
    ~PatternSet();
    PatternSet(const PatternSet&);  // shares the compiled databases (a Ruleset copies cheaply)
    PatternSet& operator=(const PatternSet&);
    PatternSet(PatternSet&&) noexcept;
    PatternSet& operator=(PatternSet&&) noexcept;

    // Before compile(): adds a pattern, returns its id (0, 1, 2, ... in the order added).
    PatternId add_regex(const Regex& regex);
    PatternId add_text(std::string text);  // non-empty; compared case-insensitively (ASCII)

    // Builds the databases. An Error only when Hyperscan fails for a reason other than a pattern
    // it cannot take (those fall back to PCRE2): the rules then do not load. A set never compiled
    // still scans correctly, trying each pattern in turn (the benchmark's baseline).
    Result<bool> compile();

    std::size_t size() const;
    bool empty() const { return size() == 0; }
    // How many patterns are matched by PCRE2 alone (for `check`'s summary and the tests).
    std::size_t pcre2_only() const;

    // Scans each value and records in `hits` (which must have been reset to size()) every pattern
    // that matches any of them. Patterns already decided in `hits` are not tried again. Safe to
    // call from several threads at once (each thread uses its own Hyperscan scratch space).
    void scan(std::span<const std::string_view> values, PatternHits& hits) const;
    void scan(std::string_view value, PatternHits& hits) const { scan(std::span(&value, 1), hits); }

private:
    struct Impl;
    std::shared_ptr<Impl> impl_;
};

}  // namespace mw::policy
