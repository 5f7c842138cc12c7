// `mailwarden serve` for integration tests: its own mailwarden.toml, a copy of a rules directory
// (so a test can edit it), state and log under a test directory, and the MTA-facing sockets where
// a private Postfix reaches them (PostfixInstance::socket_dir()). Started as root, it drops to
// `nobody`, as a production daemon drops to its own user; or it is started as another user from the
// beginning (setpriv), as an admin may run it without root.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "support/process.hpp"

namespace mw::itest {

struct MailwardenOptions {
    std::filesystem::path rules_source;               // copied into DIR/rules
    // Copied into DIR/rules too, under their own names: by default the shipped transport rules
    // (rules/50-transport-rules.toml), so the integration tests judge what an admin starts with.
    std::vector<std::filesystem::path> extra_rule_files = {std::filesystem::path(MW_SOURCE_DIR) /
                                                           "rules/50-transport-rules.toml"};
    std::map<std::string, std::string> substitutions;  // "@NAME@" -> value, in every copied .toml
    std::filesystem::path socket_dir;                 // milter.sock, socketmap.sock, policy.sock go here
    std::string milter_listen;                        // e.g. "inet:127.0.0.1:8891"; empty: SOCKET_DIR/milter.sock
    std::string user = "nobody";
    bool milter = true;                               // false: [milter] enabled = false (standalone tests)
    std::string extra_config;                         // appended to mailwarden.toml: [smtp], [delivery]
    // Set: `serve` is started as this user and group with these supplementary groups (none when
    // empty), never as root; the test directory is given to that user so it can write its log and
    // state there.
    std::string start_as_user;
    std::string start_as_group;
    std::vector<std::string> start_with_groups;
};

class MailwardenDaemon {
public:
    MailwardenDaemon(std::filesystem::path dir, MailwardenOptions options);
    ~MailwardenDaemon();  // stop()
    MailwardenDaemon(const MailwardenDaemon&) = delete;
    MailwardenDaemon& operator=(const MailwardenDaemon&) = delete;

    void start();     // waits until the log says "started" and the sockets exist; throws with the log otherwise
    int stop();       // SIGTERM, as an admin or systemd stops it
    void kill_hard(); // SIGKILL: the daemon vanishes mid-flight
    bool running() const;

    const std::filesystem::path& rules_dir() const { return rules_dir_; }
    const std::filesystem::path& config_file() const { return config_; }
    // Writes a file in the rules directory (the watcher picks it up by itself).
    void write_rule_file(const std::string& name, std::string_view content) const;

    mw::test::RunResult reload() const;  // `mailwarden reload --config ...`
    mw::test::RunResult status() const;  // `mailwarden status --config ...`
    std::uint64_t generation() const;    // from status; 0 if unknown

    std::string log() const;
    std::size_t log_size() const;
    bool wait_log(std::string_view needle, std::chrono::milliseconds timeout = 20s, std::size_t mark = 0) const;

private:
    std::filesystem::path control_dir() const;  // DIR/run, or a short alias for it
    std::string milter_listen() const;          // [milter] listen
    std::filesystem::path dir_, rules_dir_, config_, log_;
    MailwardenOptions options_;
    std::optional<Process> process_;
};

}  // namespace mw::itest
