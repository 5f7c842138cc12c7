// `mailwarden export postfix|sendmail`: print the MTA configuration that attaches Postfix (main.cf,
// master.cf) or Sendmail (a sendmail.mc fragment) to mailwarden for the current rules and
// mailwarden.toml (README "Attaching mailwarden to Postfix", "Attaching mailwarden to Sendmail").
#include <iostream>

#include "cli/commands.hpp"
#include "core/daemon_config.hpp"
#include "postfix/postfix_export.hpp"
#include "sendmail/sendmail_export.hpp"

namespace mw::cli {

namespace fs = std::filesystem;

namespace {

constexpr const char* valid_targets = "postfix, sendmail";

int export_command(const ParsedArgs& parsed) {
    if (parsed.subcommand.empty()) {
        if (parsed.positional.empty()) throw UsageError(std::string("which MTA? valid targets: ") + valid_targets);
        throw UsageError("unknown target '" + parsed.positional.front() + "'; valid targets: " + valid_targets);
    }
    const std::string& target = parsed.subcommand;
    if (!parsed.positional.empty()) throw UsageError("unexpected argument '" + parsed.positional.front() + "'");

    auto loaded_config = load_config_for_command(parsed);
    if (!loaded_config) return 1;
    const mw::DaemonConfig& config = *loaded_config;
    mw::postfix::PostfixExportOptions options;
    if (auto q = parsed.get("queue-directory")) {
        if (target != "postfix") throw UsageError("option '--queue-directory' is for the postfix target only");
        if (!fs::path(*q).is_absolute()) throw UsageError("option '--queue-directory' needs an absolute path");
        options.queue_directory = *q;
    }
    // Flags beat the file; the file's built-in default state_dir falls back like `check` does, so an
    // admin can export without write access to /var/lib/mailwarden.
    fs::path rules_dir = parsed.get_or("rules", config.rules.string());
    fs::path state_dir = parsed.has("state-dir")                          ? fs::path(*parsed.get("state-dir"))
                         : config.state_dir != mw::DaemonConfig{}.state_dir ? config.state_dir
                                                                                : default_state_dir();
    auto loaded = load_rules_for_command(rules_dir, state_dir, false);
    if (!loaded.ok()) {
        std::cerr << "mailwarden export: the rules in " << rules_dir.string() << " have errors; nothing exported\n";
        return 1;
    }
    return print_or_fail<mw::ExportError>("export", [&] {
        return target == "postfix" ? mw::postfix::export_postfix(*loaded.ruleset, config, options)
                                   : mw::sendmail::export_sendmail(*loaded.ruleset, config);
    });
}

}  // namespace

CommandSpec export_spec() {
    return {
        .name = "export",
        .summary = "print the MTA configuration that attaches Postfix or Sendmail to\n"
                   "mailwarden, for the current rules and mailwarden.toml",
        .options = {config_option(), rules_option(), state_dir_option()},
        .subcommands =
            {
                {.name = "postfix",
                 .summary = "print the main.cf and master.cf settings that attach Postfix",
                 .options = {{"queue-directory", "DIR",
                              "Postfix's queue_directory, absolute (default /var/spool/postfix): the\n"
                              "MTA-facing sockets are named relative to it"}}},
                {.name = "sendmail", .summary = "print the sendmail.mc fragment that attaches Sendmail"},
            },
        .run = export_command,
    };
}

}  // namespace mw::cli
