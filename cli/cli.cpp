#include "cli/cli.hpp"

#include <iostream>
#include <string>
#include <vector>

#include "cli/args.hpp"
#include "cli/commands.hpp"

namespace mw::cli {

namespace {

ProgramSpec program() {
    return {.version = "mailwarden " MAILWARDEN_VERSION,
            .summary = "mailwarden " MAILWARDEN_VERSION
                       ": Exchange-style transport policy for Postfix, Sendmail and its own SMTP server",
            .commands = {check_spec(), explain_spec(), serve_spec(), reload_spec(), status_spec(), export_spec(),
                         queue_spec()}};
}

}  // namespace

int run(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    const ProgramSpec spec = program();
    if (args.empty()) {
        std::cerr << top_level_help(spec);
        return 2;
    }
    // Messages name the command as it was typed ("mailwarden queue: ...").
    std::string command;
    for (const auto& c : spec.commands)
        if (c.name == args.front()) command = c.name;
    std::string prefix = command.empty() ? "mailwarden" : "mailwarden " + command;
    try {
        Invocation inv = parse_command_line(spec, args);
        if (inv.output) {
            std::cout << *inv.output;
            return 0;
        }
        if (!inv.command) {
            std::cerr << top_level_help(spec);
            return 2;
        }
        return inv.command->run(inv.args);
    } catch (const UsageError& e) {
        std::cerr << prefix << ": " << e.what() << "\n(see '" << prefix << " --help')\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << prefix << ": internal error: " << e.what() << "\n";
        return 2;
    }
}

}  // namespace mw::cli
