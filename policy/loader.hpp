// Loading rules/*.toml into a Ruleset. All files are read, every error is collected, and a Ruleset
// is returned only when there are none: nothing is ever half-applied.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "policy/ruleset.hpp"

namespace mw::policy {

struct Diagnostic {
    enum class Severity { error, warning } severity = Severity::error;
    SourceLoc loc;        // file relative to the rules directory (as the admin sees it)
    std::string message;
    std::string str() const;  // "FILE:LINE:COL: error: message"
};

struct LoadOptions {
    std::filesystem::path rules_dir;
    std::filesystem::path state_dir;  // compiled list files go to state_dir/lists
    // false: no multi-pattern databases; every pattern is tried with PCRE2 in turn, one rule after
    // another, as before Hyperscan. Same answers, slower; the benchmark's baseline.
    bool multi_pattern = true;
};

struct LoadResult {
    std::shared_ptr<const Ruleset> ruleset;  // null when any error was found
    std::vector<Diagnostic> diagnostics;     // errors and warnings, in file order
    bool ok() const { return ruleset != nullptr; }
};

// Never throws. A missing or unreadable rules directory is an error diagnostic.
LoadResult load_rules(const LoadOptions& options);

// Loads from in-memory files (name -> TOML text) with `rules_dir` for list files; for tests and fuzzing.
LoadResult load_rules_from_strings(const std::vector<std::pair<std::string, std::string>>& files,
                                   const LoadOptions& options);

}  // namespace mw::policy
