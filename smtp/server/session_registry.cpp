#include "smtp/server/server_context.hpp"

namespace mw::smtp::server {

SessionRegistry::Entry SessionRegistry::add(Notify notify) {
    std::lock_guard lock(mutex_);
    auto it = sessions_.insert(sessions_.end(), std::move(notify));
    // Only posts to the session's strand, so calling it under the lock cannot re-enter.
    if (stopping_) (*it)();
    return Entry(this, it);
}

void SessionRegistry::stop_all() {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    for (const auto& notify : sessions_) notify();
}

std::size_t SessionRegistry::wait_empty(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(mutex_);
    emptied_.wait_until(lock, deadline, [this] { return sessions_.empty(); });
    return sessions_.size();
}

void SessionRegistry::remove(std::list<Notify>::iterator it) {
    std::lock_guard lock(mutex_);
    sessions_.erase(it);
    if (sessions_.empty()) emptied_.notify_all();
}

}  // namespace mw::smtp::server
