#include "support/postfix_instance.hpp"

#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <stdexcept>

#include "support/net.hpp"
#include "support/postfix_config.hpp"
#include "support/proc.hpp"
#include "support/reaper.hpp"

namespace mw::itest {

namespace fs = std::filesystem;

namespace {

// Debian's configure-instance.sh copies these into the chroot. Tested: without etc/hosts a chrooted
// smtpd logs clients as "unknown[127.0.0.1]" instead of "localhost[127.0.0.1]"; nothing else was
// needed (no libnss libraries: glibc 2.36 has the files and dns backends built in, and DNS is off).
constexpr const char* kChrootFiles[] = {"etc/localtime", "etc/services", "etc/resolv.conf",
                                        "etc/hosts",     "etc/host.conf", "etc/nsswitch.conf"};

void chown_to(const fs::path& path, const char* user, const char* group_name, mode_t mode) {
    const struct passwd* pw = ::getpwnam(user);
    const struct group* gr = ::getgrnam(group_name);
    if (!pw || !gr) throw std::runtime_error(std::string("missing user or group ") + user + ":" + group_name);
    if (::chown(path.c_str(), pw->pw_uid, gr->gr_gid) != 0 || ::chmod(path.c_str(), mode) != 0)
        throw std::runtime_error("cannot set owner of " + path.string());
}

void write_text(const fs::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::trunc);
    out << text;
    if (!out) throw std::runtime_error("cannot write " + path.string());
}

}  // namespace

void backdate(const fs::path& file) {
    fs::last_write_time(file, fs::file_time_type::clock::now() - 2s);
}

std::uint16_t SmtpdService::port() const {
    auto colon = listen.rfind(':');
    if (colon == std::string::npos) throw std::invalid_argument("service without a port: " + listen);
    return static_cast<std::uint16_t>(std::stoi(listen.substr(colon + 1)));
}

SmtpdService SmtpdService::on_free_port(std::vector<std::string> options, const std::string& address) {
    require_loopback(address);
    return SmtpdService{address + ":" + std::to_string(free_port()), std::move(options), {}};
}

PostfixInstance::PostfixInstance(fs::path dir, const Pki& pki, PostfixOptions options)
    : options_(std::move(options)),
      dir_(std::move(dir)),
      config_dir_(dir_ / "etc"),
      queue_dir_(dir_ / "queue"),
      data_dir_(dir_ / "data"),
      log_path_(dir_ / "maillog") {
    if (options_.services.empty()) options_.services.push_back(SmtpdService::on_free_port());
    for (const auto& s : options_.services) require_loopback(s.listen.substr(0, s.listen.rfind(':')));
    fs::create_directories(config_dir_);
    fs::create_directories(queue_dir_ / "private");
    fs::create_directories(data_dir_);
    // Owners as Postfix wants them: `postfix check` creates the other queue directories itself, but
    // master refuses to start with a data directory it does not own ("open lock file …/master.lock:
    // Permission denied"), and private/ may receive Dovecot's auth socket before the first start.
    chown_to(data_dir_, "postfix", "postfix", 0700);
    chown_to(queue_dir_ / "private", "postfix", "root", 0700);
    write_config(pki);
}

PostfixInstance::~PostfixInstance() {
    try {
        stop();
    } catch (...) {
    }
}

void PostfixInstance::write_config(const Pki& pki) const {
    PostfixConfigPaths paths{dir_, queue_dir_, data_dir_, log_path_};
    write_text(config_dir_ / "main.cf", render_main_cf(options_, paths, pki));
    write_text(config_dir_ / "master.cf", render_master_cf(options_));
    backdate(config_dir_ / "main.cf");  // else every Postfix command waits for the next second
    backdate(config_dir_ / "master.cf");
}

void PostfixInstance::prepare_chroot() const {
    for (const char* file : kChrootFiles) {
        fs::path source = fs::path("/") / file, target = queue_dir_ / file;
        if (!fs::exists(source)) continue;
        fs::create_directories(target.parent_path());
        fs::copy_file(source, target, fs::copy_options::overwrite_existing);
        fs::permissions(target, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                                    fs::perms::others_read);
    }
}

RunResult PostfixInstance::postfix_command(const std::string& command) const {
    return run_capture({"postfix", "-c", config_dir_.string(), command}, {}, 60s, true);
}

std::string PostfixInstance::failure(const std::string& what, const RunResult& r) const {
    std::string tail = log();
    if (tail.size() > 8000) tail = "…" + tail.substr(tail.size() - 8000);
    return what + " failed (status " + std::to_string(r.status) + "):\n" + r.out + "\n--- " + log_path_.string() +
           " ---\n" + tail;
}

void PostfixInstance::start() {
    if (started_) return;
    if (options_.chroot) prepare_chroot();
    // Postfix reports most problems in the log, not on stderr: failure() shows both.
    RunResult check = postfix_command("check");
    if (check.status != 0) throw std::runtime_error(failure("postfix check", check));
    // `postfix start` would repeat the same checks (a second or more each on this machine) unless
    // queue/quick-start exists, which postfix-script consumes, as after `postfix quick-stop`.
    std::ofstream(queue_dir_ / "quick-start").close();
    RunResult r = postfix_command("start");
    started_ = true;  // even on failure: stop() then cleans up whatever did start
    reaper::watch_postfix(queue_dir_);
    if (r.status != 0) throw std::runtime_error(failure("postfix start", r));
    for (const auto& s : options_.services)
        if (!wait_listening(s.listen.substr(0, s.listen.rfind(':')), s.port(), 20s))
            throw std::runtime_error("smtpd did not listen on " + s.listen + "\n" + log());
}

pid_t PostfixInstance::master_pid() const {
    std::string text = read_file(queue_dir_ / "pid" / "master.pid");  // "%*d\n", space-padded
    try {
        return text.empty() ? -1 : std::stoi(text);
    } catch (const std::exception&) {
        return -1;
    }
}

bool PostfixInstance::running() const {
    pid_t pid = master_pid();
    if (pid <= 0) return false;
    for (const auto& p : process_group(pid))
        if (p.pid == pid) return true;
    return false;
}

void PostfixInstance::stop() {
    if (!started_) return;
    pid_t pid = master_pid();
    RunResult r = postfix_command("stop");  // signals master, waits up to 5 s, then kills its group
    (void)r;
    // The master leads its own process group (it calls setsid), and every Postfix daemon it forked
    // is in that group. While any member lives the group id cannot be reused, so the kill below only
    // reaches Postfix processes.
    if (pid > 0 && !wait_for([pid] { return process_group(pid).empty(); }, 10s)) ::kill(-pid, SIGKILL);
    reaper::forget_postfix(queue_dir_);
    started_ = false;
}

void PostfixInstance::reload() {
    RunResult r = postfix_command("reload");
    if (r.status != 0) throw std::runtime_error(failure("postfix reload", r));
}

std::uint16_t PostfixInstance::port(std::size_t service) const { return options_.services.at(service).port(); }

fs::path PostfixInstance::socket_dir(const std::string& name) const {
    fs::create_directories(queue_dir_ / name);
    // Postfix itself names these relative to the queue directory; the daemon binds the full path,
    // which a deep build tree can push past the unix socket limit: the queue directory may be
    // reached through a short alias (so "mailwarden/x.sock" stays relative to it).
    return short_socket_dir(queue_dir_, name.size() + 24) / name;
}

void PostfixInstance::set(const std::string& name, const std::string& value) {
    RunResult r = postconf({"-e", name + "=" + value});
    if (r.status != 0) throw std::runtime_error("postconf -e " + name + " failed: " + r.err);
    backdate(config_dir_ / "main.cf");
}

std::string PostfixInstance::log() const { return read_file(log_path_); }

std::size_t PostfixInstance::log_size() const {
    std::error_code ec;
    auto size = fs::file_size(log_path_, ec);
    return ec ? 0 : static_cast<std::size_t>(size);
}

std::string PostfixInstance::log_since(std::size_t mark) const {
    std::string text = log();
    return mark < text.size() ? text.substr(mark) : std::string();
}

bool PostfixInstance::wait_log(std::string_view needle, std::chrono::milliseconds timeout, std::size_t mark) const {
    return wait_for([&] { return log_since(mark).find(needle) != std::string::npos; }, timeout, 50ms);
}

RunResult PostfixInstance::postconf(const std::vector<std::string>& args) const {
    std::vector<std::string> argv{"postconf", "-c", config_dir_.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_capture(argv);
}

RunResult PostfixInstance::postmap_query(const std::string& key, const std::string& table) const {
    return run_capture({"postmap", "-c", config_dir_.string(), "-q", key, table});
}

std::vector<std::string> PostfixInstance::queue_ids() const {
    // One JSON object per line (postqueue(1) -j); the queue id is a plain [0-9A-Za-z] token.
    RunResult r = run_capture({"postqueue", "-c", config_dir_.string(), "-j"});
    if (r.status != 0) throw std::runtime_error("postqueue -j failed: " + r.err);
    static const std::regex id(R"re("queue_id": *"([0-9A-Za-z]+)")re");
    std::vector<std::string> ids;
    for (std::sregex_iterator it(r.out.begin(), r.out.end(), id), end; it != end; ++it) ids.push_back((*it)[1]);
    return ids;
}

std::string PostfixInstance::mailq() const {
    return run_capture({"postqueue", "-c", config_dir_.string(), "-p"}).out;
}

void PostfixInstance::flush() const {
    RunResult r = run_capture({"postqueue", "-c", config_dir_.string(), "-f"});
    if (r.status != 0) throw std::runtime_error("postqueue -f failed: " + r.err);
}

}  // namespace mw::itest
