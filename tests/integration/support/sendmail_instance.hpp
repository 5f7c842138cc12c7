// A private Sendmail 8.17 for integration tests: Debian's packages unpacked under the build tree
// (tests/integration/sendmail/fetch-peer, never installed), a sendmail.cf built with m4 from a .mc
// this fixture writes around the caller's fragment (what `mailwarden export sendmail` prints), its own
// queue, pid and statistics files, relaying everything to a smart host on loopback.
//
// Sendmail looks up its host name and DNS when it starts and logs only through syslog: it runs only
// inside tests/integration/sendmail/isolate (own network, mount, UTS and PID namespaces, loopback
// only, a private /dev whose /dev/log this fixture binds). Notes on Sendmail (shared notes) say why
// each setting is there.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "support/pki.hpp"
#include "support/process.hpp"
#include "support/syslog_sink.hpp"

namespace mw::itest {

// Where fetch-peer unpacked Sendmail (MW_SENDMAIL_ROOT, set by CTest); nullopt when it is missing.
std::optional<std::filesystem::path> sendmail_peer_root();
// True inside the isolate script's namespaces: MW_ISOLATED_HOSTNAME is set there, and lo is the only
// network interface.
bool isolated();

struct SendmailOptions {
    std::string mc_fragment;             // pasted after the fixture's defaults: daemons, milter, CA file
    std::vector<std::string> extra_mc;   // more .mc lines before the fragment (e.g. a test-only FEATURE)
    // Lines of the access map ("Connect:127.0.0.2 RELAY"): made into DIR/access.db with Sendmail's
    // makemap and named by FEATURE(`access_db'); none: no access map.
    std::vector<std::string> access_lines;
    // The next hop for everything: Sendmail treats [127.0.0.1] as itself and silently drops such a
    // SMART_HOST, so the sink listens on another loopback address.
    std::string smart_host = "127.0.0.3";
    std::uint16_t smart_host_port = 25;
};

class SendmailInstance {
public:
    // Writes DIR/sendmail.mc and builds DIR/sendmail.cf; `pki.server()` is the STARTTLS identity.
    SendmailInstance(std::filesystem::path dir, const Pki& pki, SendmailOptions options);
    ~SendmailInstance();  // stop()
    SendmailInstance(const SendmailInstance&) = delete;
    SendmailInstance& operator=(const SendmailInstance&) = delete;

    void start();  // sendmail -bD; waits until every DAEMON_OPTIONS port listens; throws with the log
    void stop();

    // The ports of the daemons, in DAEMON_OPTIONS order, and the port of the daemon called `name`.
    const std::vector<std::uint16_t>& ports() const { return ports_; }
    std::uint16_t port(std::string_view daemon_name) const;

    std::string log() const { return syslog_->log(); }
    std::size_t log_size() const { return syslog_->log_size(); }
    bool wait_log(std::string_view needle, std::chrono::milliseconds timeout = 20s, std::size_t mark = 0) const {
        return syslog_->wait_log(needle, timeout, mark);
    }
    // Queue ids of the messages in the queue (qf files).
    std::vector<std::string> queue_ids() const;
    const std::filesystem::path& cf() const { return cf_; }

private:
    std::filesystem::path root_, dir_, queue_dir_, cf_;
    struct Daemon {
        std::string name, address;  // Name=, Addr=
        std::uint16_t port;         // Port=
    };
    std::vector<Daemon> daemons_;
    std::vector<std::uint16_t> ports_;
    std::unique_ptr<SyslogSink> syslog_;
    std::optional<Process> process_;
};

}  // namespace mw::itest
