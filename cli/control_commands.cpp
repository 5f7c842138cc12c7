// `mailwarden reload` and `mailwarden status`: clients of the running daemon's control socket.
#include <iostream>
#include <sstream>

#include "cli/commands.hpp"
#include "core/daemon_config.hpp"
#include "daemon/control_protocol.hpp"

namespace mw::cli {

namespace {

mw::ListenAddress control_address(const ParsedArgs& parsed) {
    std::optional<std::filesystem::path> file;
    if (auto c = parsed.get("config")) file = *c;
    mw::DaemonConfig cfg = mw::load_daemon_config(file);
    if (!cfg.control.active()) throw std::runtime_error("the control socket is disabled in the configuration");
    return mw::parse_listen_address(cfg.control.listen);
}

int reload_command(const ParsedArgs& parsed) {
    if (!parsed.positional.empty()) throw UsageError("unexpected argument '" + parsed.positional.front() + "'");
    std::string answer;
    try {
        answer = daemon::control_request(control_address(parsed), "reload");
    } catch (const std::exception& e) {
        std::cerr << "mailwarden reload: " << e.what() << "\n";
        return 1;
    }
    std::istringstream in(answer);
    std::string first;
    std::getline(in, first);
    if (first.rfind("ok ", 0) == 0) {
        std::cout << "generation " << first.substr(3) << "\n";
        return 0;
    }
    std::string line;
    while (std::getline(in, line)) std::cerr << line << "\n";
    if (first.rfind("error ", 0) == 0)
        std::cerr << "mailwarden reload: rules not applied; the daemon keeps generation " << first.substr(6) << "\n";
    else
        std::cerr << "mailwarden reload: unexpected answer '" << first << "'\n";
    return 1;
}

int status_command(const ParsedArgs& parsed) {
    if (!parsed.positional.empty()) throw UsageError("unexpected argument '" + parsed.positional.front() + "'");
    return print_or_fail<std::exception>("status", [&] {
        return daemon::control_request(control_address(parsed), parsed.has("json") ? "status json" : "status");
    });
}

}  // namespace

CommandSpec reload_spec() {
    return {.name = "reload",
            .summary = "reload the running daemon's rules now; rules with errors change\n"
                       "nothing (exit 1)",
            .options = {config_option()},
            .run = reload_command};
}

CommandSpec status_spec() {
    return {.name = "status",
            .summary = "the running daemon's rules generation, load time and counters",
            .options = {config_option(), {"json", "", "print the status as JSON"}},
            .run = status_command};
}

}  // namespace mw::cli
