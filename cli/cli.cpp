#include "cli/cli.hpp"

#include <iostream>
#include <string>
#include <vector>

#include "cli/args.hpp"
#include "cli/commands.hpp"

namespace mw::cli {

namespace {

constexpr const char* usage_text =
    "usage: mailwarden COMMAND [OPTIONS]\n"
    "\n"
    "commands:\n"
    "  check   [--rules DIR] [--state-dir DIR]       validate the rule files\n"
    "  export  postfix [--config FILE] [--rules DIR] [--state-dir DIR] [--queue-directory DIR]\n"
    "                                                print the MTA settings for the current rules\n"
    "  explain [--rules DIR] (--connector NAME | --daemon-name NAME | --local ADDR:PORT)\n"
    "          --client IP --from ADDR --to ADDR... [options]\n"
    "                                                evaluate a hypothetical message, send nothing\n"
    "  serve   [--config FILE] [--rules DIR] [--state-dir DIR]\n"
    "                                                run the daemon (milter, socketmap, policy service)\n"
    "  reload  [--config FILE]                       reload the running daemon's rules now\n"
    "  status  [--config FILE] [--json]              generation, load time, counters\n"
    "  queue   list [--json] | show ID | flush | delete ID | hold ID | release ID\n"
    "          [--config FILE] [--state-dir DIR]     the standalone MTA's queue (held: '!' after the id)\n"
    "  help                                          this text\n"
    "\n"
    "explain options: --helo NAME --tls VERSION --cipher NAME --cert-subject DN --cert-issuer DN\n"
    "  --cert-verified --cert-san NAME... --cert-sha256 HEX --auth USER --header 'Name: value'...\n"
    "  --size BYTES --size-param BYTES --mta standalone|postfix|sendmail --json\n";

}  // namespace

int run(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty()) {
        std::cerr << usage_text;
        return 2;
    }
    std::string command = args.front();
    args.erase(args.begin());
    try {
        if (command == "check") return check_command(args);
        if (command == "export") return export_command(args);
        if (command == "explain") return explain_command(args);
        if (command == "serve") return serve_command(args);
        if (command == "reload") return reload_command(args);
        if (command == "status") return status_command(args);
        if (command == "queue") return queue_command(args);
        if (command == "help" || command == "--help" || command == "-h") {
            std::cout << usage_text;
            return 0;
        }
        throw UsageError("unknown command '" + command + "'");
    } catch (const UsageError& e) {
        std::cerr << "mailwarden " << command << ": " << e.what() << "\n(see 'mailwarden help')\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "mailwarden " << command << ": internal error: " << e.what() << "\n";
        return 2;
    }
}

}  // namespace mw::cli
