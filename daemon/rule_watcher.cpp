#include "daemon/rule_watcher.hpp"

#include <poll.h>
#include <sys/inotify.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "daemon/logger.hpp"

namespace mw::daemon {

namespace {
constexpr std::uint32_t watch_mask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE |
                                     IN_ATTRIB | IN_MODIFY | IN_DELETE_SELF | IN_MOVE_SELF;
}

RuleWatcher::RuleWatcher(std::filesystem::path dir, std::chrono::milliseconds debounce, std::function<void()> on_change)
    : dir_(std::move(dir)), debounce_(debounce), on_change_(std::move(on_change)) {}

RuleWatcher::~RuleWatcher() { stop(); }

void RuleWatcher::add_watches() {
    namespace fs = std::filesystem;
    ::inotify_add_watch(inotify_.get(), dir_.c_str(), watch_mask);
    std::error_code ec;
    for (fs::recursive_directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec))
        if (it->is_directory(ec)) ::inotify_add_watch(inotify_.get(), it->path().c_str(), watch_mask);
}

void RuleWatcher::start() {
    inotify_.reset(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
    if (!inotify_) throw std::runtime_error(std::string("inotify: ") + std::strerror(errno));
    add_watches();
    thread_ = std::thread([this] { run(); });
}

void RuleWatcher::stop() {
    stopping_ = true;
    if (thread_.joinable()) thread_.join();
}

void RuleWatcher::run() {
    using clock = std::chrono::steady_clock;
    bool pending = false;
    clock::time_point last_event;
    alignas(inotify_event) char buf[16 * 1024];
    while (!stopping_) {
        pollfd p{inotify_.get(), POLLIN, 0};
        int rc = ::poll(&p, 1, 100);
        if (rc > 0) {
            bool dirs_changed = false;
            for (;;) {
                ssize_t n = ::read(inotify_.get(), buf, sizeof buf);
                if (n <= 0) break;
                for (char* q = buf; q < buf + n;) {
                    auto* ev = reinterpret_cast<inotify_event*>(q);
                    if (ev->mask & (IN_ISDIR | IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) dirs_changed = true;
                    q += sizeof(inotify_event) + ev->len;
                }
            }
            // A new or replaced subdirectory needs its own watch; re-adding existing ones is harmless.
            if (dirs_changed) add_watches();
            pending = true;
            last_event = clock::now();
        }
        if (pending && clock::now() - last_event >= debounce_) {
            pending = false;
            try {
                on_change_();
            } catch (const std::exception& e) {
                log_error(std::string("rule watcher: ") + e.what());
            }
        }
    }
}

}  // namespace mw::daemon
