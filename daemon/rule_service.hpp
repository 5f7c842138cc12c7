// The running daemon's rules: the initial load, reloads (from the control socket and the rule
// watcher), and the snapshot every session pins (docs/design.md decision 1). A reload builds a complete
// new Ruleset; only a fully valid one replaces the current one, and sessions in flight keep the
// snapshot they started with. A bad edit changes nothing and is reported as FILE:LINE:COL lines.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "policy/ruleset_holder.hpp"

namespace mw::daemon {

struct ReloadOutcome {
    bool ok = false;
    std::uint64_t generation = 0;      // the generation in force afterwards
    std::vector<std::string> errors;   // "FILE:LINE:COL: error: ..." when !ok
    std::vector<std::string> warnings;
};

class RuleService {
public:
    RuleService(std::filesystem::path rules_dir, std::filesystem::path state_dir);

    // The first load; false (with the errors logged) leaves no rules: serve refuses to start.
    ReloadOutcome load_initial();
    // Serialized: concurrent requests (watcher and `mailwarden reload`) run one after the other.
    ReloadOutcome reload(const std::string& why);

    std::shared_ptr<const policy::Ruleset> snapshot() const;
    std::uint64_t generation() const;
    std::chrono::system_clock::time_point loaded_at() const;
    std::uint64_t reloads_failed() const { return failed_.load(); }
    const std::filesystem::path& rules_dir() const { return rules_dir_; }

private:
    ReloadOutcome load(const std::string& why);

    std::filesystem::path rules_dir_, state_dir_;
    std::mutex reload_mutex_;
    std::unique_ptr<policy::RulesetHolder> holder_;
    std::atomic<std::int64_t> loaded_at_{0};
    std::atomic<std::uint64_t> failed_{0};
};

}  // namespace mw::daemon
