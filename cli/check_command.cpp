// `mailwarden check`: validate the rules directory, report every error as FILE:LINE:COL.
#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "cli/commands.hpp"
#include "core/daemon_config.hpp"

namespace mw::cli {

namespace fs = std::filesystem;

fs::path default_rules_dir() { return "/etc/mailwarden/rules"; }

fs::path default_state_dir() {
    fs::path system_dir = "/var/lib/mailwarden";
    std::error_code ec;
    if (fs::is_directory(system_dir, ec) && ::access(system_dir.c_str(), W_OK) == 0) return system_dir;
    if (const char* cache = std::getenv("XDG_CACHE_HOME"); cache && *cache) return fs::path(cache) / "mailwarden";
    if (const char* home = std::getenv("HOME"); home && *home) return fs::path(home) / ".cache" / "mailwarden";
    return fs::temp_directory_path() / ("mailwarden-" + std::to_string(::getuid()));
}

OptionSpec rules_option() { return {"rules", "DIR", "the rules directory (default /etc/mailwarden/rules)"}; }

OptionSpec state_dir_option() {
    return {"state-dir", "DIR", "where compiled lists are kept (default /var/lib/mailwarden when\n"
                                "writable, else a per-user cache)"};
}

OptionSpec config_option() {
    return {"config", "FILE", std::string("mailwarden.toml (default ") + mw::default_config_file + ")"};
}

std::optional<DaemonConfig> load_config_for_command(const ParsedArgs& parsed) {
    try {
        std::optional<fs::path> file;
        if (auto c = parsed.get("config")) file = *c;
        return load_daemon_config(file);
    } catch (const ConfigError& e) {
        std::cerr << e.what() << "\n";
        return std::nullopt;
    }
}

policy::LoadResult load_rules_for_command(const fs::path& rules_dir, const fs::path& state_dir, bool warnings) {
    auto result = policy::load_rules({rules_dir, state_dir});
    for (const auto& d : result.diagnostics)
        if (warnings || d.severity == policy::Diagnostic::Severity::error) std::cerr << d.str() << "\n";
    return result;
}

namespace {

std::string plural(std::size_t n, const char* one, const char* many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
}

int check_command(const ParsedArgs& parsed) {
    if (!parsed.positional.empty()) throw UsageError("unexpected argument '" + parsed.positional.front() + "'");
    fs::path rules_dir = parsed.get_or("rules", default_rules_dir().string());
    fs::path state_dir = parsed.get_or("state-dir", default_state_dir().string());

    auto result = load_rules_for_command(rules_dir, state_dir, true);
    std::size_t errors = 0, warnings = 0;
    for (const auto& d : result.diagnostics)
        (d.severity == policy::Diagnostic::Severity::error ? errors : warnings)++;
    if (!result.ok()) {
        std::cerr << rules_dir.string() << ": " << plural(errors, "error", "errors")
                  << ", nothing applied\n";
        return 1;
    }
    const auto& r = *result.ruleset;
    std::error_code ec;
    std::size_t files = 0;
    for (const auto& entry : fs::directory_iterator(rules_dir, ec))
        if (entry.path().extension() == ".toml") ++files;
    std::cout << rules_dir.string() << ": OK: " << plural(files, "file", "files") << ", "
              << plural(r.accepted_domains.size(), "accepted domain", "accepted domains") << ", "
              << plural(r.receive_connectors.size(), "receive connector", "receive connectors") << ", "
              << plural(r.send_connectors.size(), "send connector", "send connectors") << ", "
              << plural(r.delivery_restrictions.size(), "delivery restriction", "delivery restrictions") << ", "
              << plural(r.transport_rules.size(), "transport rule", "transport rules") << ", "
              << plural(warnings, "warning", "warnings") << "\n";
    return 0;
}

}  // namespace

CommandSpec check_spec() {
    return {.name = "check",
            .summary = "validate the rule files: a summary, or every error at FILE:LINE:COL",
            .options = {rules_option(), state_dir_option()},
            .run = check_command};
}

}  // namespace mw::cli
