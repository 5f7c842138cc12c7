// Child processes for integration tests: servers started by a fixture and stopped by its destructor,
// and short commands whose output a test inspects.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "test_support.hpp"

namespace mw::itest {

using namespace std::chrono_literals;
using RunResult = mw::test::RunResult;  // status (128+signal when killed), out, err

struct SpawnOptions {
    std::vector<std::string> argv;  // argv[0] is looked up in PATH
    std::vector<std::pair<std::string, std::string>> env;  // added to (or replacing in) ours
    std::filesystem::path cwd;                              // empty: ours
    std::filesystem::path stdin_path;                       // empty: /dev/null (never a terminal:
                                                            // swaks would prompt and hang)
    std::filesystem::path stdout_path;                      // empty: /dev/null; appended to
    std::filesystem::path stderr_path;  // empty: /dev/null; equal to stdout_path: one shared file, so
                                        // the two streams keep their relative order
};

// A child in its own process group, so stopping it also stops whatever it forked. Move-only; the
// destructor stops it. While it runs, its group is registered with the reaper (reaper.hpp), which
// kills it if this test process dies without running destructors.
class Process {
public:
    explicit Process(SpawnOptions options);  // throws if the program cannot be executed
    ~Process();
    Process(Process&& other) noexcept;
    Process& operator=(Process&& other) noexcept;
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;

    pid_t pid() const { return pid_; }
    const std::string& name() const { return name_; }
    // True until the child has exited (does not reap it, so its group id stays reserved).
    bool running() const;
    // Waits for the child to exit by itself; nullopt on timeout (the child keeps running).
    std::optional<int> wait(std::chrono::milliseconds timeout);
    // SIGTERM to the group, SIGKILL to the group after `grace`, then reap. Returns the exit status
    // (128 + signal when killed). Idempotent.
    int stop(std::chrono::milliseconds grace = 5s);

private:
    int reap();  // blocking waitpid; records the status
    pid_t pid_ = -1;
    std::string name_;
    std::optional<int> status_;
};

// Runs a command to completion with stdin_text on its stdin. stdout and stderr go to files, so a large
// output on one cannot block the other. merge_stderr: both streams in `out`, in order. Throws on
// timeout (after stopping the command).
RunResult run_capture(const std::vector<std::string>& argv, std::string_view stdin_text = {},
                      std::chrono::milliseconds timeout = 60s, bool merge_stderr = false);

// Polls predicate every `poll` until it is true (returns true) or the timeout passes (false).
bool wait_for(const std::function<bool()>& predicate, std::chrono::milliseconds timeout,
              std::chrono::milliseconds poll = 20ms);

// Reads a whole file; empty when it does not exist.
std::string read_file(const std::filesystem::path& path);

}  // namespace mw::itest
