// The subcommands. Each returns the process exit status; UsageError escapes to `run` (exit 2).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "policy/loader.hpp"

namespace mw::cli {

int check_command(const std::vector<std::string>& args);
int export_command(const std::vector<std::string>& args);
int explain_command(const std::vector<std::string>& args);
int serve_command(const std::vector<std::string>& args);
int reload_command(const std::vector<std::string>& args);
int status_command(const std::vector<std::string>& args);
int queue_command(const std::vector<std::string>& args);

// Where rules and compiled lists live when no flag says otherwise.
std::filesystem::path default_rules_dir();
// /var/lib/mailwarden when it is writable; otherwise a per-user cache directory, so an admin can run
// `check` and `explain` without root.
std::filesystem::path default_state_dir();

// Loads rules for a command; prints errors (and, with `warnings`, warnings) to stderr. `explain`
// leaves warnings to `check`, so its answer is not buried under them.
policy::LoadResult load_rules_for_command(const std::filesystem::path& rules_dir,
                                          const std::filesystem::path& state_dir, bool warnings);

}  // namespace mw::cli
