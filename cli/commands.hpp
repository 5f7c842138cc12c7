// The commands. Each file declares its command line (a CommandSpec: options, help) next to the
// command, which reads the parsed options and returns the process exit status; UsageError escapes
// to `run` (exit 2).
#pragma once

#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "cli/args.hpp"
#include "core/daemon_config.hpp"
#include "policy/loader.hpp"

namespace mw::cli {

CommandSpec check_spec();
CommandSpec explain_spec();
CommandSpec serve_spec();
CommandSpec reload_spec();
CommandSpec status_spec();
CommandSpec export_spec();
CommandSpec queue_spec();

// Options several commands share, with one help text.
OptionSpec rules_option();
OptionSpec state_dir_option();
OptionSpec config_option();

// Where rules and compiled lists live when no flag says otherwise.
std::filesystem::path default_rules_dir();
// /var/lib/mailwarden when it is writable; otherwise a per-user cache directory, so an admin can run
// `check` and `explain` without root.
std::filesystem::path default_state_dir();

// Loads rules for a command; prints errors (and, with `warnings`, warnings) to stderr. `explain`
// leaves warnings to `check`, so its answer is not buried under them.
policy::LoadResult load_rules_for_command(const std::filesystem::path& rules_dir,
                                          const std::filesystem::path& state_dir, bool warnings);

// mailwarden.toml as `--config` names it (or the default file, or built-in defaults); a bad file is
// printed as FILE:LINE:COL to stderr and gives nullopt (the command exits 1).
std::optional<DaemonConfig> load_config_for_command(const ParsedArgs& parsed);

// Prints what `produce` returns, or "mailwarden COMMAND: what" to stderr when it throws `Failure`:
// the exit status, 0 or 1.
template <typename Failure, typename Produce>
int print_or_fail(const char* command, Produce&& produce) {
    try {
        std::cout << produce();
    } catch (const Failure& e) {
        std::cerr << "mailwarden " << command << ": " << e.what() << "\n";
        return 1;
    }
    return 0;
}

}  // namespace mw::cli
