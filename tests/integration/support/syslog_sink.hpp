// A syslog receiver: binds a unix datagram socket (Sendmail logs only through syslog(3), to /dev/log)
// and appends every message it receives, one per line, to a file a test can read and wait on.
// Only used inside the isolated namespace (tests/integration/sendmail/isolate), whose /dev is private.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "core/unique_fd.hpp"

namespace mw::itest {

using namespace std::chrono_literals;

class SyslogSink {
public:
    // Binds `socket_path` (replacing a stale socket) and starts reading; lines go to `log_path`.
    SyslogSink(std::filesystem::path socket_path, std::filesystem::path log_path);
    ~SyslogSink();
    SyslogSink(const SyslogSink&) = delete;
    SyslogSink& operator=(const SyslogSink&) = delete;

    std::string log() const;
    std::size_t log_size() const;
    // Waits until `needle` appears in the log after byte offset `mark`.
    bool wait_log(std::string_view needle, std::chrono::milliseconds timeout = 20s, std::size_t mark = 0) const;

private:
    void run();
    std::filesystem::path socket_path_, log_path_;
    mw::UniqueFd socket_;
    std::atomic<bool> stop_{false};
    mutable std::mutex mutex_;  // guards the file between the reader and log()
    std::thread reader_;
};

}  // namespace mw::itest
