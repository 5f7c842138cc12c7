#include "support/smtp_sink.hpp"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <set>
#include <stdexcept>

#include "support/net.hpp"

namespace mw::itest {

namespace fs = std::filesystem;

namespace {

// smtp-sink refuses to run as root without -u; it drops to this user after binding, so the dump
// directory must be writable by it.
constexpr const char* kSinkUser = "nobody";

fs::path created(fs::path dir) {
    fs::create_directories(dir);
    return dir;
}

fs::path prepare_dumps(const fs::path& dir) {
    fs::path dumps = dir / "dumps";
    fs::create_directories(dumps);
    if (::geteuid() == 0) {
        const passwd* pw = ::getpwnam(kSinkUser);
        if (!pw) throw std::runtime_error(std::string("no user ") + kSinkUser);
        if (::chown(dumps.c_str(), pw->pw_uid, pw->pw_gid) != 0)
            throw std::runtime_error("cannot chown " + dumps.string());
    }
    return dumps;
}

std::uint16_t choose_port(const SmtpSinkOptions& options) {
    require_loopback(options.address);
    return options.port ? options.port : free_port();
}

Process start_sink(const SmtpSinkOptions& options, const fs::path& dir, const fs::path& dumps,
                   std::uint16_t port) {
    SpawnOptions spawn;
    // -d: one file per transaction. smtp-sink creates it at MAIL and writes it at ".", so messages()
    // skips files the sink still holds open.
    spawn.argv = {"smtp-sink", "-4", "-d", (dumps / "%Y%m%d%H%M%S.").string()};
    if (::geteuid() == 0) spawn.argv.insert(spawn.argv.end(), {"-u", kSinkUser});
    spawn.argv.insert(spawn.argv.end(), options.extra_args.begin(), options.extra_args.end());
    spawn.argv.push_back(options.address + ":" + std::to_string(port));
    spawn.argv.push_back("64");  // listen backlog
    spawn.stdout_path = dir / "smtp-sink.log";
    spawn.stderr_path = spawn.stdout_path;
    return Process(spawn);
}

// Paths of the files the sink process holds open right now.
std::set<fs::path> open_files(pid_t pid) {
    std::set<fs::path> open;
    std::error_code ec;
    for (const auto& fd : fs::directory_iterator(fs::path("/proc") / std::to_string(pid) / "fd", ec)) {
        std::error_code link_ec;
        fs::path target = fs::read_symlink(fd.path(), link_ec);
        if (!link_ec) open.insert(target);
    }
    return open;
}

}  // namespace

SmtpSink::SmtpSink(fs::path dir, SmtpSinkOptions options)
    : options_(std::move(options)),
      dir_(created(std::move(dir))),
      dumps_(prepare_dumps(dir_)),
      port_(choose_port(options_)),
      process_(start_sink(options_, dir_, dumps_, port_)) {
    if (!wait_listening(options_.address, port_, 10s))
        throw std::runtime_error("smtp-sink did not listen on port " + std::to_string(port_) + ":\n" + output());
}

std::string SmtpSink::relayhost() const { return "[" + options_.address + "]:" + std::to_string(port_); }

std::string SmtpSink::output() const { return read_file(dir_ / "smtp-sink.log"); }

std::vector<std::string> SmtpSink::messages() const {
    // List the directory first, then the open files: a file closed in between is complete anyway.
    std::vector<fs::directory_entry> files;
    for (const auto& e : fs::directory_iterator(dumps_))
        if (e.is_regular_file()) files.push_back(e);
    std::set<fs::path> open = open_files(process_.pid());
    std::vector<std::pair<fs::file_time_type, fs::path>> done;
    for (const auto& e : files) {
        std::error_code ec;
        if (open.count(fs::canonical(e.path(), ec)) || e.file_size(ec) == 0) continue;  // in progress, or RSET
        done.emplace_back(e.last_write_time(ec), e.path());
    }
    std::sort(done.begin(), done.end());
    std::vector<std::string> texts;
    for (const auto& d : done) texts.push_back(read_file(d.second));
    return texts;
}

bool SmtpSink::wait_count(std::size_t n, std::chrono::milliseconds timeout) const {
    return wait_for([&] { return messages().size() >= n; }, timeout, 50ms);
}

std::optional<std::string> SmtpSink::wait_message(std::string_view needle, std::chrono::milliseconds timeout) const {
    std::optional<std::string> found;
    wait_for(
        [&] {
            for (auto& m : messages())
                if (m.find(needle) != std::string::npos) {
                    found = std::move(m);
                    return true;
                }
            return false;
        },
        timeout, 50ms);
    return found;
}

}  // namespace mw::itest
