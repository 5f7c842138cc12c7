// Helpers shared by the unit tests.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "policy/loader.hpp"

namespace mw::test {

// A fresh directory under $TMPDIR (the build tree when run by CTest), removed by the destructor.
class TempDir {
public:
    explicit TempDir(std::string_view tag);
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }
    // Writes a file relative to the directory (creating parents) and returns its path.
    std::filesystem::path write(const std::string& name, std::string_view content) const;

private:
    std::filesystem::path path_;
};

// Loads one rule file named "rules.toml" from a temp rules directory; fails the test (with every
// diagnostic printed) unless it loads cleanly.
// multi_pattern = false loads without the Hyperscan databases (each pattern by PCRE2 in turn).
std::shared_ptr<const policy::Ruleset> load_ok(const TempDir& dir, std::string_view toml, bool multi_pattern = true);
// Loads and returns the diagnostics (for tests of refusals).
policy::LoadResult load(const TempDir& dir, std::string_view toml, bool multi_pattern = true);

// Runs the mailwarden binary with arguments; returns exit status and combined stdout.
struct RunResult {
    int status = -1;
    std::string out;
    std::string err;
};
RunResult run_mailwarden(const std::vector<std::string>& args);

}  // namespace mw::test
