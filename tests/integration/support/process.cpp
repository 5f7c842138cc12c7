#include "support/process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "support/reaper.hpp"

extern char** environ;

namespace mw::itest {

namespace fs = std::filesystem;

namespace {

std::vector<std::string> merged_environment(const std::vector<std::pair<std::string, std::string>>& extra) {
    std::vector<std::string> env;
    for (char** e = environ; *e; ++e) {
        std::string_view entry(*e);
        std::string_view name = entry.substr(0, entry.find('='));
        bool replaced = false;
        for (const auto& kv : extra) replaced = replaced || kv.first == name;
        if (!replaced) env.emplace_back(entry);
    }
    for (const auto& kv : extra) env.push_back(kv.first + "=" + kv.second);
    return env;
}

// Resolves a bare program name before fork: execvpe would search the caller's PATH, and a test run
// from an unprivileged shell may lack the sbin directories where Postfix and Dovecot live.
std::string find_program(const std::string& name) {
    if (name.find('/') != std::string::npos) return name;
    const char* path_env = std::getenv("PATH");
    std::string path = std::string(path_env ? path_env : "") + ":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    std::string_view rest(path);
    while (!rest.empty()) {
        std::string_view dir = rest.substr(0, rest.find(':'));
        rest.remove_prefix(std::min(rest.size(), dir.size() + 1));
        if (dir.empty()) continue;
        fs::path candidate = fs::path(dir) / name;
        if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    }
    throw std::runtime_error("program not found: " + name);
}

std::vector<char*> c_array(std::vector<std::string>& strings) {
    std::vector<char*> out;
    for (auto& s : strings) out.push_back(s.data());
    out.push_back(nullptr);
    return out;
}

// Everything below runs in the forked child before exec: no allocation, no exceptions.
[[noreturn]] void child_fail(int report_fd) {
    int err = errno;
    (void)!::write(report_fd, &err, sizeof err);
    ::_exit(127);
}

int open_or_devnull(const char* path, int flags) {
    return ::open(*path ? path : "/dev/null", flags, 0644);
}

[[noreturn]] void exec_child(pid_t parent, int report_fd, const char* in, const char* out, const char* err,
                             const char* cwd, char** argv, char** envp) {
    ::setpgid(0, 0);
    // If the test process dies, so do we (lost again by children that change their uid, like
    // smtp-sink -u nobody: the reaper covers those).
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(126);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int sig = 1; sig < NSIG; ++sig)
        if (sig != SIGKILL && sig != SIGSTOP) ::signal(sig, SIG_DFL);  // Boost.Test installs handlers

    int fd_in = open_or_devnull(in, O_RDONLY);
    int fd_out = open_or_devnull(out, O_WRONLY | O_CREAT | O_APPEND);
    if (fd_in < 0 || fd_out < 0) child_fail(report_fd);
    ::dup2(fd_in, 0);
    ::dup2(fd_out, 1);
    if (*err && std::strcmp(err, out) == 0) {
        ::dup2(1, 2);
    } else {
        int fd_err = open_or_devnull(err, O_WRONLY | O_CREAT | O_APPEND);
        if (fd_err < 0) child_fail(report_fd);
        ::dup2(fd_err, 2);
    }
    if (*cwd && ::chdir(cwd) != 0) child_fail(report_fd);
    // Servers must not inherit the test's descriptors (listening sockets, the reaper's pipe).
    if (::syscall(SYS_close_range, 3U, ~0U, 4U /* CLOSE_RANGE_CLOEXEC */) != 0)
        for (int fd = 3; fd < 4096; ++fd)
            if (fd != report_fd) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    ::execve(argv[0], argv, envp);
    child_fail(report_fd);
}

}  // namespace

Process::Process(SpawnOptions options) {
    if (options.argv.empty()) throw std::invalid_argument("Process: empty argv");
    name_ = fs::path(options.argv[0]).filename().string();
    options.argv[0] = find_program(options.argv[0]);
    std::vector<std::string> env = merged_environment(options.env);
    std::vector<char*> argv = c_array(options.argv), envp = c_array(env);
    std::string in = options.stdin_path.string(), out = options.stdout_path.string(),
                err = options.stderr_path.string(), cwd = options.cwd.string();

    int report[2];
    if (::pipe2(report, O_CLOEXEC) != 0) throw std::runtime_error("Process: pipe failed");
    pid_t parent = ::getpid();
    pid_t pid = ::fork();
    if (pid < 0) {
        ::close(report[0]);
        ::close(report[1]);
        throw std::runtime_error("Process: fork failed");
    }
    if (pid == 0)
        exec_child(parent, report[1], in.c_str(), out.c_str(), err.c_str(), cwd.c_str(), argv.data(),
                   envp.data());
    ::close(report[1]);
    ::setpgid(pid, pid);  // also here: whichever of parent and child runs first, the group exists
    pid_ = pid;
    int child_errno = 0;
    ssize_t n;
    do n = ::read(report[0], &child_errno, sizeof child_errno);
    while (n < 0 && errno == EINTR);
    ::close(report[0]);
    if (n > 0) {  // exec failed: the pipe carried errno instead of closing on exec
        reap();
        throw std::runtime_error("cannot start " + options.argv[0] + ": " + std::strerror(child_errno));
    }
    reaper::watch_group(pid_);
}

Process::~Process() {
    try {
        stop();
    } catch (...) {
    }
}

Process::Process(Process&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), name_(std::move(other.name_)), status_(other.status_) {}

Process& Process::operator=(Process&& other) noexcept {
    if (this != &other) {
        try {
            stop();
        } catch (...) {
        }
        pid_ = std::exchange(other.pid_, -1);
        name_ = std::move(other.name_);
        status_ = other.status_;
    }
    return *this;
}

bool Process::running() const {
    if (pid_ < 0 || status_) return false;
    siginfo_t info{};
    if (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) != 0) return false;
    return info.si_pid == 0;
}

int Process::reap() {
    int status = 0;
    pid_t r;
    do r = ::waitpid(pid_, &status, 0);
    while (r < 0 && errno == EINTR);
    status_ = r < 0 ? -1 : WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return *status_;
}

std::optional<int> Process::wait(std::chrono::milliseconds timeout) {
    if (pid_ < 0) return std::nullopt;
    if (status_) return status_;
    if (!wait_for([this] { return !running(); }, timeout, 5ms)) return std::nullopt;
    // The group may hold children the leader left behind: they must not outlive it.
    ::kill(-pid_, SIGKILL);
    reap();
    reaper::forget_group(pid_);
    return status_;
}

int Process::stop(std::chrono::milliseconds grace) {
    if (pid_ < 0) return -1;
    if (status_) return *status_;
    ::kill(-pid_, SIGTERM);
    wait_for([this] { return !running(); }, grace, 10ms);
    // Until the leader is reaped its id cannot be reused, so this reaches only our group.
    ::kill(-pid_, SIGKILL);
    reap();
    reaper::forget_group(pid_);
    return *status_;
}

bool wait_for(const std::function<bool()>& predicate, std::chrono::milliseconds timeout,
              std::chrono::milliseconds poll) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (predicate()) return true;
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(poll);
    }
}

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

RunResult run_capture(const std::vector<std::string>& argv, std::string_view stdin_text,
                      std::chrono::milliseconds timeout, bool merge_stderr) {
    mw::test::TempDir io("run");
    SpawnOptions options;
    options.argv = argv;
    options.stdin_path = io.write("stdin", stdin_text);
    options.stdout_path = io.path() / "out";
    options.stderr_path = merge_stderr ? options.stdout_path : io.path() / "err";
    Process process(options);
    std::optional<int> status = process.wait(timeout);
    RunResult result;
    result.out = read_file(options.stdout_path);
    result.err = merge_stderr ? std::string() : read_file(options.stderr_path);
    if (!status) {
        process.stop();
        throw std::runtime_error(argv[0] + " did not finish within " + std::to_string(timeout.count()) +
                                 " ms; output so far:\n" + result.out + result.err);
    }
    result.status = *status;
    return result;
}

}  // namespace mw::itest
