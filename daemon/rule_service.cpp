#include "daemon/rule_service.hpp"

#include "daemon/logger.hpp"
#include "policy/loader.hpp"

namespace mw::daemon {

RuleService::RuleService(std::filesystem::path rules_dir, std::filesystem::path state_dir)
    : rules_dir_(std::move(rules_dir)), state_dir_(std::move(state_dir)) {}

ReloadOutcome RuleService::load_initial() { return reload("start"); }

ReloadOutcome RuleService::reload(const std::string& why) {
    std::lock_guard lock(reload_mutex_);
    return load(why);
}

ReloadOutcome RuleService::load(const std::string& why) {
    ReloadOutcome out;
    auto result = policy::load_rules({rules_dir_, state_dir_});
    for (const auto& d : result.diagnostics)
        (d.severity == policy::Diagnostic::Severity::error ? out.errors : out.warnings).push_back(d.str());
    // Diagnostics carry their own "error:"/"warning:" word, as `check` prints them.
    for (const auto& w : out.warnings) log_info("rules: " + w);
    if (!result.ok()) {
        failed_++;
        for (const auto& e : out.errors) log_info("rules: " + e);
        out.generation = holder_ ? holder_->generation() : 0;
        log_error("reload (" + why + ") failed: " + std::to_string(out.errors.size()) + " error(s) in " +
                  rules_dir_.string() + (holder_ ? "; keeping generation " + std::to_string(out.generation)
                                                 : std::string("; no rules loaded")));
        return out;
    }
    if (!holder_) {
        holder_ = std::make_unique<policy::RulesetHolder>(result.ruleset);
        out.generation = holder_->generation();
    } else {
        out.generation = holder_->replace(result.ruleset);
    }
    loaded_at_ = std::chrono::duration_cast<std::chrono::seconds>(
                     std::chrono::system_clock::now().time_since_epoch()).count();
    out.ok = true;
    log_info("rules loaded (" + why + "): generation " + std::to_string(out.generation) + " from " + rules_dir_.string());
    return out;
}

std::shared_ptr<const policy::Ruleset> RuleService::snapshot() const {
    return holder_ ? holder_->snapshot() : nullptr;
}

std::uint64_t RuleService::generation() const { return holder_ ? holder_->generation() : 0; }

std::chrono::system_clock::time_point RuleService::loaded_at() const {
    return std::chrono::system_clock::time_point(std::chrono::seconds(loaded_at_.load()));
}

}  // namespace mw::daemon
