#include "smtp/delivery/hold_release.hpp"

#include <iterator>

namespace mw::smtp::delivery {

namespace {
constexpr std::int64_t forget_after_s = 86400;
}

bool in_node(std::string_view domain, std::string_view node, bool subdomains) {
    if (domain == node) return true;
    return subdomains && domain.size() > node.size() + 1 && domain.ends_with(node) &&
           domain[domain.size() - node.size() - 1] == '.';
}

void HoldRelease::release(const std::string& id, std::string domain, bool subdomains, std::int64_t now) {
    std::lock_guard lock(mutex_);
    std::erase_if(entries_, [now](const auto& e) { return e.second.at + forget_after_s < now; });
    entries_.emplace(id, Entry{std::move(domain), subdomains, now, ++sequence_});
}

bool HoldRelease::released(const std::string& id, std::string_view domain) const {
    std::lock_guard lock(mutex_);
    auto [first, last] = entries_.equal_range(id);
    for (auto it = first; it != last; ++it)
        if (in_node(domain, it->second.domain, it->second.subdomains)) return true;
    return false;
}

std::uint64_t HoldRelease::mark() const {
    std::lock_guard lock(mutex_);
    return sequence_;
}

void HoldRelease::used(const std::string& id, std::uint64_t mark) {
    std::lock_guard lock(mutex_);
    auto [first, last] = entries_.equal_range(id);
    for (auto it = first; it != last;) it = it->second.sequence <= mark ? entries_.erase(it) : std::next(it);
}

bool HoldRelease::pending(const std::string& id) const {
    std::lock_guard lock(mutex_);
    return entries_.find(id) != entries_.end();
}

}  // namespace mw::smtp::delivery
