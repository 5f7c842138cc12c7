#include "smtp/delivery/connection_limits.hpp"

#include <algorithm>

namespace mw::smtp::delivery {

namespace {

// A destination without connections for this long starts slowly again: what was learnt about it
// may no longer hold (Postfix forgets a destination once its queue is empty).
constexpr auto forget_after = std::chrono::minutes(5);
// Destinations remembered, at most (the memory only shapes the windows).
constexpr std::size_t max_remembered = 10'000;

}  // namespace

ConnectionLimits::ConnectionLimits(ConnectionLimitsConfig config) : config_(config) {
    config_.max_connections = std::max<std::size_t>(config_.max_connections, 1);
    config_.max_per_destination = std::max<std::size_t>(config_.max_per_destination, 1);
    config_.initial_per_destination =
        std::clamp<std::size_t>(config_.initial_per_destination, 1, config_.max_per_destination);
}

ConnectionLimits::Destination& ConnectionLimits::entry(const std::string& destination) {
    const auto now = Clock::now();
    auto it = destinations_.find(destination);
    if (it != destinations_.end() && it->second.open == 0 && now - it->second.last_used > forget_after)
        it->second.window = config_.initial_per_destination;
    if (it == destinations_.end()) {
        if (destinations_.size() >= max_remembered)
            std::erase_if(destinations_, [](const auto& d) { return d.second.open == 0; });
        it = destinations_.emplace(destination, Destination{0, config_.initial_per_destination, now}).first;
    }
    it->second.last_used = now;
    return it->second;
}

bool ConnectionLimits::free_for(const std::string& destination) const {
    if (total_ >= config_.max_connections) return false;
    auto it = destinations_.find(destination);
    if (it == destinations_.end()) return true;
    return it->second.open < it->second.window;
}

bool ConnectionLimits::acquire(const std::string& destination, Clock::time_point deadline) {
    std::unique_lock lock(mutex_);
    entry(destination);
    if (!released_.wait_until(lock, deadline, [&] { return free_for(destination); })) return false;
    ++entry(destination).open;
    ++total_;
    return true;
}

bool ConnectionLimits::available(const std::string& destination) const {
    std::lock_guard lock(mutex_);
    return free_for(destination);
}

void ConnectionLimits::release(const std::string& destination) {
    {
        std::lock_guard lock(mutex_);
        auto it = destinations_.find(destination);
        if (it != destinations_.end() && it->second.open > 0) {
            --it->second.open;
            it->second.last_used = Clock::now();
        }
        if (total_ > 0) --total_;
    }
    released_.notify_all();
}

void ConnectionLimits::succeeded(const std::string& destination) {
    {
        std::lock_guard lock(mutex_);
        Destination& d = entry(destination);
        d.window = std::min(d.window + 1, config_.max_per_destination);
    }
    released_.notify_all();  // a wider window may let a waiting delivery in
}

void ConnectionLimits::failed(const std::string& destination) {
    std::lock_guard lock(mutex_);
    Destination& d = entry(destination);
    d.window = std::max<std::size_t>(d.window, 2) - 1;
}

std::size_t ConnectionLimits::window(const std::string& destination) const {
    std::lock_guard lock(mutex_);
    auto it = destinations_.find(destination);
    return it == destinations_.end() ? config_.initial_per_destination : it->second.window;
}

std::size_t ConnectionLimits::open(const std::string& destination) const {
    std::lock_guard lock(mutex_);
    auto it = destinations_.find(destination);
    return it == destinations_.end() ? 0 : it->second.open;
}

std::size_t ConnectionLimits::open_total() const {
    std::lock_guard lock(mutex_);
    return total_;
}

bool ConnectionLimits::total_full() const {
    std::lock_guard lock(mutex_);
    return total_ >= config_.max_connections;
}

}  // namespace mw::smtp::delivery
