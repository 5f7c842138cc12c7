// `mailwarden serve`: one process running every enabled front door (README "mailwarden
// serve"): the milter, the socketmap, the policy service, the control socket and the
// rule watcher, all on one shared rules snapshot.
//
// Order matters: block the stop signals before any thread exists (the main thread waits for them;
// see the stop sequence below), bind every listener while still root, drop privileges, then load
// the rules as the unprivileged user (reloads run as that user too, so the first load must succeed
// the same way).
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <thread>

#include "core/daemon_config.hpp"
#include "daemon/control_protocol.hpp"
#include "daemon/daemon_services.hpp"
#include "daemon/logger.hpp"
#include "daemon/privileges.hpp"
#include "daemon/rule_service.hpp"
#include "daemon/rule_watcher.hpp"
#include "daemon/serve.hpp"
#include "daemon/socket_listener.hpp"
#include "daemon/standalone_mta.hpp"
#include "daemon/stream_server.hpp"
#include "core/unique_fd.hpp"
#include "milter/milter_service.hpp"

namespace mw::daemon {

namespace fs = std::filesystem;

namespace {

// How long a stopping daemon waits for milter sessions in flight to finish.
constexpr auto session_grace = std::chrono::seconds(30);

// libmilter wants "inet:PORT@ADDR"; admins write "inet:ADDR:PORT" everywhere else.
std::string libmilter_spec(const ListenAddress& a) {
    if (a.kind == ListenAddress::Kind::unix_socket) return "unix:" + a.path.string();
    bool v6 = a.host.find(':') != std::string::npos;
    return std::string(v6 ? "inet6:" : "inet:") + std::to_string(a.port) + "@" + a.host;
}

struct Identity {
    std::optional<Account> run_as;  // set when started as root
    SocketAccess mta_sockets;       // milter, socketmap, policy service
    SocketAccess control_socket;    // root and the daemon's user only
};

Identity resolve_identity(const DaemonConfig& cfg) {
    Identity id;
    std::optional<gid_t> group;
    if (!cfg.socket_group.empty()) {
        group = find_group(cfg.socket_group);
        if (!group) throw std::runtime_error("socket_group '" + cfg.socket_group + "' does not exist");
    } else {
        group = find_group("postfix");
    }
    if (::geteuid() == 0) {
        id.run_as = find_user(cfg.user);
        if (!id.run_as) throw std::runtime_error("user '" + cfg.user + "' does not exist (set `user` in mailwarden.toml)");
        id.mta_sockets.owner = id.run_as->uid;
        id.control_socket.owner = id.run_as->uid;
        id.control_socket.group = id.run_as->gid;
    } else if (group && !process_has_group(*group)) {
        // Started as another user (README "mailwarden serve": it then runs as that user). Only root may give a file
        // to a group its owner is not in: rather than fail on chown, keep the sockets' own group and
        // mode, and say what would let the MTA in.
        std::string name = cfg.socket_group.empty() ? "postfix" : cfg.socket_group;
        std::string me = user_name(::geteuid());
        log_warning(std::string(cfg.socket_group.empty() ? "" : "socket_group " + name + ": ") + "mailwarden runs as " + me +
                    ", which is not in group " + name + ": the MTA-facing sockets keep group " + group_name(::getegid()) +
                    " and mode 0660, so the MTA's processes in group " + name + " cannot connect to them; add " + me +
                    " to group " + name + ", set socket_group in mailwarden.toml to a group of " + me +
                    ", or start serve as root");
        group.reset();
    }
    id.mta_sockets.group = group;
    id.mta_sockets.mode = 0660;
    id.control_socket.mode = 0600;
    return id;
}

// Gives the state directory and its lists/ to the daemon's user without following a symlink
// anyone put there (the user owns these directories, so it could plant one for root to chown).
void give_to(const fs::path& dir, const Account& account) {
    UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd || ::fchown(fd.get(), account.uid, account.gid) != 0)
        throw std::runtime_error("cannot give " + dir.string() + " to " + account.name + " (not a plain directory?)");
}

void prepare_state_dir(const fs::path& dir, const Identity& id) {
    std::error_code ec;
    fs::create_directories(dir / "lists", ec);
    if (ec) throw std::runtime_error("cannot create state_dir " + dir.string() + ": " + ec.message());
    if (!id.run_as) return;
    // Compiled lists are rewritten on reload by the unprivileged user.
    give_to(dir, *id.run_as);
    give_to(dir / "lists", *id.run_as);
    // Lists compiled earlier by root (e.g. `mailwarden check` run as root) become the user's too;
    // only regular files, by name inside the directory opened above, never through a symlink.
    UniqueFd lists(::open((dir / "lists").c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    for (const auto& e : fs::directory_iterator(dir / "lists", ec)) {
        struct stat st{};
        std::string name = e.path().filename().string();
        if (::fstatat(lists.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
            st.st_nlink == 1)
            [[maybe_unused]] int rc = ::fchownat(lists.get(), name.c_str(), id.run_as->uid, id.run_as->gid,
                                                 AT_SYMLINK_NOFOLLOW);
    }
}

// Waits for SIGTERM, SIGINT or SIGHUP (returns it), or for libmilter to end by itself (returns 0).
int wait_for_stop_signal(const std::atomic<bool>& milter_ended) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    timespec tick{0, 200'000'000};
    while (!milter_ended) {
        int sig = ::sigtimedwait(&set, nullptr, &tick);
        if (sig > 0) return sig;
    }
    return 0;
}

}  // namespace

void block_stop_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    ::signal(SIGPIPE, SIG_IGN);
}

int serve(const DaemonConfig& cfg) {
    Identity id = resolve_identity(cfg);
    prepare_state_dir(cfg.state_dir, id);

    DaemonServices services(cfg);
    RuleService rules(cfg.rules, cfg.state_dir);

    // --- bind, as root when started so ---------------------------------------------------------
    services.open_listeners(id.mta_sockets, id.control_socket);
    milter::MilterCounters milter_counters;
    bool milter_on = cfg.milter.active();
    if (milter_on) {
        ListenAddress a = parse_listen_address(cfg.milter.listen);
        if (a.kind == ListenAddress::Kind::unix_socket) prepare_unix_socket_path(a, id.mta_sockets);
        milter::MilterHooks hooks;
        hooks.snapshot = [&rules] { return rules.snapshot(); };
        hooks.enrich_at_rcpt = [&services](const milter::ConnectionKey& key, policy::SessionFacts& facts) {
            services.enrich_at_rcpt(key, facts);
        };
        hooks.connection_closed = [&services](const milter::ConnectionKey& key) { services.forget_connection(key); };
        hooks.log = [](std::string_view line) { log_info(std::string("milter: ") + std::string(line)); };
        // libmilter binds the socket itself: the umask gives it its mode from the start.
        mode_t old_umask = ::umask(socket_umask(id.mta_sockets));
        std::string err = milter::milter_open({libmilter_spec(a), 300, 128}, std::move(hooks), milter_counters);
        ::umask(old_umask);
        if (!err.empty()) throw std::runtime_error("milter: " + err);
        if (a.kind == ListenAddress::Kind::unix_socket) apply_socket_access(a, id.mta_sockets);
        else set_nodelay_on_listeners(a.port);
    }

    // Standalone MTA: the TLS key, the users file and the SMTP ports (25 needs root).
    std::unique_ptr<StandaloneMta> mta;
    if (cfg.smtp.enabled) {
        mta = std::make_unique<StandaloneMta>(cfg);
        mta->open();
    }

    // --- the privilege boundary: nothing below runs as root ------------------------------------
    if (id.run_as) {
        drop_privileges(*id.run_as);
        log_info("running as " + id.run_as->name);
    }

    ReloadOutcome first = rules.load_initial();
    if (!first.ok) {
        for (const auto& e : first.errors) std::cerr << e << "\n";
        std::cerr << "mailwarden serve: the rules in " << cfg.rules.string() << " do not load; not starting\n";
        return 1;
    }

    ControlHandlers control;
    control.reload = [&rules, &mta] {
        ReloadOutcome r = rules.reload("mailwarden reload");
        if (r.ok && mta) mta->rules_changed(rules);
        return r;
    };
    control.status = [&](bool json) {
        return services.status_report(rules, milter_counters, milter_on,
                                      mta ? mta->counters() : std::vector<std::pair<std::string, std::int64_t>>{}, json);
    };
    control.flush = [&mta] {
        if (!mta) return false;
        mta->flush();
        return true;
    };
    control.flush_domain = [&mta](const std::string& domain) { return mta && mta->flush_domain(domain); };
    services.start(rules, control);
    if (mta) mta->start(rules);

    RuleWatcher watcher(cfg.rules, std::chrono::milliseconds(500), [&rules, &mta] {
        if (rules.reload("rules changed").ok && mta) mta->rules_changed(rules);
    });
    try {
        watcher.start();
    } catch (const std::exception& e) {
        log_warning(std::string(e.what()) + ": edits are picked up only by `mailwarden reload`");
    }

    log_info("started: " + services.describe() + (milter_on ? " milter=" + cfg.milter.listen : std::string(" milter=off")) +
             (mta ? " " + mta->describe() : std::string(" smtp=off")) +
             " rules=" + cfg.rules.string() + " generation " + std::to_string(rules.generation()));

    // The main thread takes the stop signals: Linux hands a process-directed signal to the main
    // thread first when it waits for it, before libmilter's own signal thread, which would stop at
    // once and abandon open sessions. (Should libmilter take one anyway, it stops by itself and we
    // follow.)
    std::atomic<bool> milter_ended{false};
    std::atomic<int> milter_status{0};
    std::thread milter_thread;
    if (milter_on) {
        milter_thread = std::thread([&milter_ended, &milter_status] {
            int rc = milter::milter_run();
            if (rc != 0) log_error("milter: libmilter stopped with status " + std::to_string(rc));
            milter_status = rc;
            milter_ended = true;
        });
    }
    int sig = wait_for_stop_signal(milter_ended);
    log_info(sig ? std::string("stopping on signal ") + ::strsignal(sig) + ": finishing sessions in flight"
                 : std::string("stopping: libmilter ended"));
    watcher.stop();
    // Standalone sessions end now with 421 4.3.2, each once its command is done (up to 30 s), so a
    // message being received or queued still gets its 250; everything acknowledged is in the queue.
    if (mta) mta->stop();
    if (milter_on) {
        milter::milter_drain();
        auto deadline = std::chrono::steady_clock::now() + session_grace;
        while (milter_counters.sessions_active.load() > 0 && !milter_ended &&
               std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        if (milter_counters.sessions_active.load() > 0)
            log_warning("stopping with " + std::to_string(milter_counters.sessions_active.load()) +
                        " milter session(s) still open; the MTA applies milter_default_action");
        milter::milter_stop();
        milter_thread.join();
    }
    // The policy service and socketmap answer until the milter sessions are done: their requests
    // belong to those sessions.
    services.stop();
    // libmilter ending without a stop signal is a failure (e.g. accept() kept failing): a non-zero
    // exit lets systemd's Restart=on-failure bring the filter back; mail waits meanwhile (tempfail).
    int status = (sig == 0 || milter_status != 0) ? 1 : 0;
    log_info(status ? "stopped after a failure" : "stopped");
    if (milter_on) {
        // libmilter does not join its session threads: one that outlived the grace period may
        // still run a callback. Leave now, without running destructors it could race with.
        std::fflush(nullptr);
        ::_exit(status);
    }
    return status;
}

}  // namespace mw::daemon
