#include "smtp/delivery/session_cache.hpp"

#include <algorithm>

namespace mw::smtp::delivery {

std::unique_ptr<OpenSession> SessionCache::take(const std::vector<DeliveryTarget>& targets, const SessionKey& like) {
    for (const auto& target : targets) {
        SessionKey key = like;
        key.target = target;
        auto it = std::find_if(sessions_.begin(), sessions_.end(), [&](const auto& s) { return s->key == key; });
        if (it == sessions_.end()) continue;
        std::unique_ptr<OpenSession> found = std::move(*it);
        sessions_.erase(it);
        return found;
    }
    return nullptr;
}

void SessionCache::put(std::unique_ptr<OpenSession> session, Clock::time_point now) {
    if (capacity_ == 0) return;  // closed as it goes (the server sees the connection end without QUIT)
    session->idle_since = now;
    if (sessions_.size() >= capacity_) sessions_.erase(sessions_.begin());
    sessions_.push_back(std::move(session));
}

std::size_t SessionCache::expire(Clock::time_point now) {
    // Closed without QUIT, as Postfix's cache does: QUIT would need the event loop, and the
    // transaction is over either way.
    return std::erase_if(sessions_, [&](const auto& s) { return now - s->idle_since > idle_limit_; });
}

bool SessionCache::evict(const std::string& destination) {
    auto it = std::find_if(sessions_.begin(), sessions_.end(),
                           [&](const auto& s) { return destination.empty() || s->destination == destination; });
    if (it == sessions_.end()) return false;
    sessions_.erase(it);
    return true;
}

bool SessionCache::holds(const std::string& destination) const {
    return std::any_of(sessions_.begin(), sessions_.end(), [&](const auto& s) { return s->destination == destination; });
}

}  // namespace mw::smtp::delivery
