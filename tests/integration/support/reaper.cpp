#include "support/reaper.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>

namespace mw::itest::reaper {

namespace fs = std::filesystem;

namespace {

// Runs in the detached reaper. It blocks on the pipe (`cat`), then kills what the list still names.
// A Postfix entry is killed only if master.pid names a live Postfix master, so a stale entry cannot
// hit an unrelated process.
constexpr const char* kScript = R"sh(
cat >/dev/null
# (dash: kill takes no "--"; "-N" after the signal is a process group)
list=$1
[ -f "$list" ] || exit 0
while read -r kind arg; do
  case $kind in
    g) kill -KILL "-$arg" 2>/dev/null ;;
    p) pid=$(tr -dc 0-9 < "$arg/pid/master.pid" 2>/dev/null)
       if [ -n "$pid" ] && grep -q master "/proc/$pid/cmdline" 2>/dev/null; then
         kill -KILL "-$pid" 2>/dev/null
       fi ;;
  esac
done < "$list"
rm -f "$list"
)sh";

class Reaper {
public:
    static Reaper& instance() {
        static Reaper reaper;
        return reaper;
    }

    void add(const std::string& entry) {
        std::lock_guard lock(mutex_);
        entries_.insert(entry);
        publish();
    }
    void remove(const std::string& entry) {
        std::lock_guard lock(mutex_);
        entries_.erase(entry);
        publish();
    }

private:
    Reaper() {
        const char* tmp = std::getenv("TMPDIR");
        fs::path base = tmp && *tmp ? fs::path(tmp) : fs::temp_directory_path();
        list_ = base / ("mw-reaper-" + std::to_string(::getpid()) + ".list");
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("reaper: pipe failed");
        pid_t child = ::fork();
        if (child < 0) throw std::runtime_error("reaper: fork failed");
        if (child == 0) {
            // Detach twice: a new session, and a parent that exits at once, so that neither CTest's
            // process-tree kill nor our process group's signals reach the reaper.
            ::setsid();
            if (::fork() != 0) ::_exit(0);
            ::dup2(fds[0], 0);
            int devnull = ::open("/dev/null", O_RDWR);
            ::dup2(devnull, 1);
            ::dup2(devnull, 2);
            for (int fd = 3; fd < 1024; ++fd) ::close(fd);
            ::execl("/bin/sh", "sh", "-c", kScript, "mw-reaper", list_.c_str(), static_cast<char*>(nullptr));
            ::_exit(127);
        }
        ::close(fds[0]);
        write_end_ = fds[1];  // kept open (close-on-exec) until this process exits
        int status = 0;
        ::waitpid(child, &status, 0);
    }

    // Rewrites the list atomically: the reaper may read it at any moment.
    void publish() {
        fs::path tmp = list_;
        tmp += ".new";
        {
            std::ofstream out(tmp, std::ios::trunc);
            for (const auto& e : entries_) out << e << '\n';
        }
        std::error_code ec;
        fs::rename(tmp, list_, ec);
    }

    std::mutex mutex_;
    std::set<std::string> entries_;
    fs::path list_;
    [[maybe_unused]] int write_end_ = -1;  // held, never written: its closing is the message
};

std::string group_entry(pid_t pgid) { return "g " + std::to_string(pgid); }
std::string postfix_entry(const fs::path& queue) { return "p " + queue.string(); }

}  // namespace

void watch_group(pid_t pgid) { Reaper::instance().add(group_entry(pgid)); }
void forget_group(pid_t pgid) { Reaper::instance().remove(group_entry(pgid)); }
void watch_postfix(const fs::path& queue) { Reaper::instance().add(postfix_entry(queue)); }
void forget_postfix(const fs::path& queue) { Reaper::instance().remove(postfix_entry(queue)); }

}  // namespace mw::itest::reaper
