// Watches the rules directory (recursively: list files and certificates may sit in
// subdirectories) with inotify and calls back once the edits settle (debounced), so an editor's
// write-rename-chmod sequence or a copy of several files is one reload, not many.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <thread>

#include "core/unique_fd.hpp"

namespace mw::daemon {

class RuleWatcher {
public:
    RuleWatcher(std::filesystem::path dir, std::chrono::milliseconds debounce, std::function<void()> on_change);
    ~RuleWatcher();
    RuleWatcher(const RuleWatcher&) = delete;
    RuleWatcher& operator=(const RuleWatcher&) = delete;

    void start();  // throws std::runtime_error when inotify is unavailable
    void stop();

private:
    void run();
    void add_watches();

    std::filesystem::path dir_;
    std::chrono::milliseconds debounce_;
    std::function<void()> on_change_;
    UniqueFd inotify_;
    std::thread thread_;
    std::atomic<bool> stopping_{false};
};

}  // namespace mw::daemon
