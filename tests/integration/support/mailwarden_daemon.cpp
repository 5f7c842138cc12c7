#include "support/mailwarden_daemon.hpp"

#include "support/net.hpp"

#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace mw::itest {

namespace fs = std::filesystem;

namespace {

std::string substitute(std::string text, const std::map<std::string, std::string>& subs) {
    for (const auto& [from, to] : subs)
        for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
            text.replace(at, from.size(), to);
    return text;
}

// The unprivileged daemon must traverse and read what the test made as root.
void open_up(const fs::path& p) {
    std::error_code ec;
    fs::permissions(p, fs::perms::others_read | fs::perms::others_exec | fs::perms::group_read | fs::perms::group_exec,
                    fs::perm_options::add, ec);
}

}  // namespace

MailwardenDaemon::MailwardenDaemon(fs::path dir, MailwardenOptions options)
    : dir_(std::move(dir)), options_(std::move(options)) {
    fs::create_directories(dir_ / "run");
    rules_dir_ = dir_ / "rules";
    config_ = dir_ / "mailwarden.toml";
    log_ = dir_ / "mailwarden.log";
    fs::create_directories(rules_dir_);
    for (const auto& entry : fs::recursive_directory_iterator(options_.rules_source)) {
        fs::path target = rules_dir_ / fs::relative(entry.path(), options_.rules_source);
        if (entry.is_directory()) {
            fs::create_directories(target);
            continue;
        }
        std::string text = read_file(entry.path());
        if (entry.path().extension() == ".toml") text = substitute(text, options_.substitutions);
        std::ofstream(target) << text;
    }
    for (const auto& file : options_.extra_rule_files) std::ofstream(rules_dir_ / file.filename()) << read_file(file);
    for (fs::path p = rules_dir_; p != p.root_path() && !p.empty(); p = p.parent_path()) open_up(p);
    for (const auto& entry : fs::recursive_directory_iterator(rules_dir_)) open_up(entry.path());
    std::ofstream(config_) << "rules = \"" << rules_dir_.string() << "\"\n"
                           << "state_dir = \"" << (dir_ / "state").string() << "\"\n"
                           << "user = \"" << options_.user << "\"\n"
                           << "[milter]\nlisten = \"" << milter_listen() << "\"\n"
                           << (options_.milter ? "" : "enabled = false\n")
                           << "[socketmap]\nlisten = \"unix:" << (options_.socket_dir / "socketmap.sock").string() << "\"\n"
                           << "[policy_service]\nlisten = \"unix:" << (options_.socket_dir / "policy.sock").string()
                           << "\"\n"
                           << "[control]\nlisten = \"unix:" << (control_dir() / "control.sock").string() << "\"\n"
                           << "[log]\ntarget = \"" << log_.string() << "\"\n"
                           << options_.extra_config;
    open_up(config_);
    if (!options_.start_as_user.empty()) {
        // The unprivileged daemon writes its log and state_dir here; the test (root) still reads them.
        passwd* pw = ::getpwnam(options_.start_as_user.c_str());
        if (!pw) throw std::runtime_error("no user " + options_.start_as_user);
        for (const fs::path& p : {dir_, dir_ / "run"})
            if (::chown(p.c_str(), pw->pw_uid, pw->pw_gid) != 0) throw std::runtime_error("cannot chown " + p.string());
    }
}

MailwardenDaemon::~MailwardenDaemon() { stop(); }

std::string MailwardenDaemon::milter_listen() const {
    if (!options_.milter_listen.empty()) return options_.milter_listen;
    return "unix:" + (options_.socket_dir / "milter.sock").string();
}

fs::path MailwardenDaemon::control_dir() const { return short_socket_dir(dir_ / "run"); }

void MailwardenDaemon::write_rule_file(const std::string& name, std::string_view content) const {
    // Written beside, then renamed: the watcher never sees a half-written file (as an editor saves).
    fs::path tmp = rules_dir_ / ("." + name + ".tmp");
    std::ofstream(tmp) << content;
    open_up(tmp);
    fs::rename(tmp, rules_dir_ / name);
}

void MailwardenDaemon::start() {
    std::size_t mark = log_size();
    SpawnOptions o;
    o.argv = {MW_BINARY, "serve", "--config", config_.string()};
    if (!options_.start_as_user.empty()) {
        std::string groups;
        for (const auto& g : options_.start_with_groups) groups += (groups.empty() ? "" : ",") + g;
        o.argv.insert(o.argv.begin(), {"setpriv", "--reuid=" + options_.start_as_user, "--regid=" + options_.start_as_group,
                                       groups.empty() ? std::string("--clear-groups") : "--groups=" + groups, "--"});
    }
    o.stdout_path = dir_ / "serve.out";
    o.stderr_path = dir_ / "serve.out";
    process_.emplace(std::move(o));
    bool unix_milter = options_.milter && options_.milter_listen.empty();
    if (!wait_log("started:", 20s, mark) || (unix_milter && !fs::exists(options_.socket_dir / "milter.sock")))
        throw std::runtime_error("mailwarden serve did not start:\n" + log() + read_file(dir_ / "serve.out"));
}

int MailwardenDaemon::stop() {
    if (!process_) return 0;
    int status = process_->stop(30s);
    process_.reset();
    return status;
}

void MailwardenDaemon::kill_hard() {
    if (!process_) return;
    ::kill(process_->pid(), SIGKILL);
    process_->stop(1s);
    process_.reset();
}

bool MailwardenDaemon::running() const { return process_ && process_->running(); }

mw::test::RunResult MailwardenDaemon::reload() const {
    return run_capture({MW_BINARY, "reload", "--config", config_.string()});
}

mw::test::RunResult MailwardenDaemon::status() const {
    return run_capture({MW_BINARY, "status", "--config", config_.string()});
}

std::uint64_t MailwardenDaemon::generation() const {
    auto r = status();
    std::istringstream in(r.out);
    std::string key;
    std::uint64_t value = 0;
    while (in >> key) {
        if (key == "generation" && in >> value) return value;
        std::getline(in, key);
    }
    return 0;
}

std::string MailwardenDaemon::log() const { return read_file(log_); }

std::size_t MailwardenDaemon::log_size() const {
    std::error_code ec;
    auto n = fs::file_size(log_, ec);
    return ec ? 0 : static_cast<std::size_t>(n);
}

bool MailwardenDaemon::wait_log(std::string_view needle, std::chrono::milliseconds timeout, std::size_t mark) const {
    return wait_for(
        [&] {
            std::string text = log();
            return text.size() > mark && text.find(needle, mark) != std::string::npos;
        },
        timeout, 50ms);
}

}  // namespace mw::itest
