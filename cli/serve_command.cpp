// `mailwarden serve`: reads mailwarden.toml and the flags that override it, then hands the process
// to the daemon (daemon/serve.hpp).
#include <filesystem>
#include <iostream>
#include <optional>

#include "cli/commands.hpp"
#include "core/daemon_config.hpp"
#include "daemon/logger.hpp"
#include "daemon/serve.hpp"

namespace mw::cli {

namespace fs = std::filesystem;

namespace {

int serve_command(const ParsedArgs& parsed) {
    if (!parsed.positional.empty()) throw UsageError("unexpected argument '" + parsed.positional.front() + "'");

    daemon::block_stop_signals();
    DaemonConfig cfg;
    try {
        std::optional<fs::path> file;
        if (auto c = parsed.get("config")) file = *c;
        cfg = load_daemon_config(file);
        if (auto r = parsed.get("rules")) cfg.rules = fs::absolute(*r);
        if (auto s = parsed.get("state-dir")) cfg.state_dir = fs::absolute(*s);
        cfg.rules = fs::absolute(cfg.rules);
        cfg.state_dir = fs::absolute(cfg.state_dir);
        daemon::log_open(cfg.log.target);
    } catch (const std::exception& e) {
        std::cerr << "mailwarden serve: " << e.what() << "\n";
        return 1;
    }
    try {
        return daemon::serve(cfg);
    } catch (const std::exception& e) {
        daemon::log_error(std::string("fatal: ") + e.what());
        std::cerr << "mailwarden serve: " << e.what() << "\n";
        return 1;
    }
}

}  // namespace

CommandSpec serve_spec() {
    return {.name = "serve",
            .summary = "run the daemon: the milter, the socketmap, the Postfix policy service,\n"
                       "the control socket, and the standalone SMTP server (queue, delivery)\n"
                       "when [smtp] enabled = true; rules reload when they change",
            .options = {config_option(),
                        {"rules", "DIR", "the rules directory, instead of the file's rules"},
                        {"state-dir", "DIR", "the state directory, instead of the file's state_dir"}},
            .run = serve_command};
}

}  // namespace mw::cli
