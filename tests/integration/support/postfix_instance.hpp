// A private Postfix instance: its own main.cf/master.cf, queue, data directory and log under a test
// directory, listening on 127.0.0.1 only. Never the system instance (/etc/postfix is not read: the
// fixture passes -c to every Postfix command).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "support/pki.hpp"
#include "support/process.hpp"

namespace mw::itest {

// One smtpd listener in master.cf: a receive connector.
struct SmtpdService {
    std::string listen;                // "127.0.0.1:PORT" (127.0.0.0/8 only)
    std::vector<std::string> options;  // "name=value" each, written as -o; values may contain spaces
    // Non-empty: these master.cf lines are written as they are instead of a line made from listen,
    // options and PostfixOptions::chroot, e.g. what `mailwarden export postfix` prints. listen must
    // still name the service's address and port (start() waits for it).
    std::string master_cf;

    std::uint16_t port() const;
    // A service on a free port (chosen on 127.0.0.1; other 127/8 addresses work on Linux loopback).
    static SmtpdService on_free_port(std::vector<std::string> options = {}, const std::string& address = "127.0.0.1");
};

struct PostfixOptions {
    std::string relayhost;               // required: "[127.0.0.1]:PORT", e.g. SmtpSink::relayhost()
    std::vector<SmtpdService> services;  // empty: one service on a free port
    // false: nothing chrooted. true: Debian's stock master.cf chroot column (smtpd, smtp, cleanup,
    // trivial-rewrite, bounce… run chrooted in the queue directory), with the files Debian copies
    // into the chroot.
    bool chroot = false;
    std::filesystem::path smtpd_tls_CAfile;  // empty: unset, so no client certificate is "Trusted"
    std::string relay_domains;               // empty by default
    std::string mynetworks = "127.0.0.0/8";  // test clients on 127.0.0.1 may relay; use XCLIENT to
                                             // pose as an outside client, or override
    bool dovecot_sasl = false;  // smtpd_sasl_auth_enable with smtpd_sasl_type = dovecot and
                                // smtpd_sasl_path = private/auth (start a DovecotSasl on sasl_socket())
    // Parameters replacing the fixture's defaults (or added), written in place: {"smtpd_tls_loglevel", "2"}.
    std::vector<std::pair<std::string, std::string>> main_cf;
    std::vector<std::string> extra_main_cf;    // lines appended to main.cf verbatim (milter, socketmap,
                                               // policy service settings)
    std::vector<std::string> extra_master_cf;  // lines appended to master.cf verbatim
};

// Sets a file's modification time two seconds back. Postfix re-reads a configuration or table file
// modified within the current second until the clock moves on (300 ms sleeps, up to a second per
// process), so a test that writes a table (texthash:, a main.cf edit) just before use should call this.
void backdate(const std::filesystem::path& file);

class PostfixInstance {
public:
    // Writes the configuration and creates the directories; start() starts the instance.
    PostfixInstance(std::filesystem::path dir, const Pki& pki, PostfixOptions options);
    ~PostfixInstance();  // stop(): no Postfix process outlives the fixture
    PostfixInstance(const PostfixInstance&) = delete;
    PostfixInstance& operator=(const PostfixInstance&) = delete;

    // `postfix check`, `postfix start`, then waits until every smtpd service listens. Throws with the
    // command output and the log on failure.
    void start();
    // `postfix stop`, then kills whatever is left of the master's process group. Idempotent.
    void stop();
    void reload();
    bool running() const;
    pid_t master_pid() const;  // from pid/master.pid; -1 if absent. It leads the instance's process group.
    // Changes one main.cf parameter (postconf -e); takes effect with reload().
    void set(const std::string& name, const std::string& value);

    std::uint16_t port(std::size_t service = 0) const;  // the smtpd services' ports, in order
    const PostfixOptions& options() const { return options_; }
    const std::filesystem::path& dir() const { return dir_; }
    const std::filesystem::path& config_dir() const { return config_dir_; }
    const std::filesystem::path& queue_dir() const { return queue_dir_; }
    // QUEUE/NAME, created: chrooted smtpd and smtp reach only sockets under the queue directory, and
    // main.cf names them relative to it ("unix:mailwarden/milter.sock" is QUEUE/mailwarden/milter.sock).
    // Throws if the path leaves too little room for socket names (a unix socket path has at most 107
    // bytes): build in a shorter directory then.
    std::filesystem::path socket_dir(const std::string& name = "mailwarden") const;
    std::filesystem::path sasl_socket() const { return queue_dir_ / "private" / "auth"; }

    // The instance's log (maillog_file). log_size() is a mark for log_since() and wait_log().
    const std::filesystem::path& log_path() const { return log_path_; }
    std::string log() const;
    std::size_t log_size() const;
    std::string log_since(std::size_t mark) const;
    bool wait_log(std::string_view needle, std::chrono::milliseconds timeout = 20s, std::size_t mark = 0) const;

    RunResult postconf(const std::vector<std::string>& args) const;                // postconf -c DIR ARGS
    RunResult postmap_query(const std::string& key, const std::string& table) const;  // postmap -c DIR -q
    std::vector<std::string> queue_ids() const;  // every queued message (postqueue -j)
    std::string mailq() const;                   // postqueue -p
    void flush() const;                          // postqueue -f

private:
    void write_config(const Pki& pki) const;
    void prepare_chroot() const;
    RunResult postfix_command(const std::string& command) const;
    std::string failure(const std::string& what, const RunResult& r) const;

    PostfixOptions options_;
    std::filesystem::path dir_, config_dir_, queue_dir_, data_dir_, log_path_;
    bool started_ = false;
};

}  // namespace mw::itest
