#include "smtp/server/server_context.hpp"

namespace mw::smtp::server {

std::optional<ConnectionSlots::Slot> ConnectionSlots::acquire(const policy::ReceiveConnector& c, const IpAddress& client,
                                                              Refusal& refusal) {
    std::lock_guard lock(mutex_);
    auto& total = total_[c.name];
    auto& per_source = per_source_[{c.name, client}];
    if (total >= c.max_connections) {
        refusal = Refusal::total;
    } else if (per_source >= c.max_connections_per_source) {
        refusal = Refusal::per_source;
    } else {
        ++total;
        ++per_source;
        refusal = Refusal::none;
        return std::optional<Slot>(std::in_place, this, c.name, client);
    }
    if (per_source == 0) per_source_.erase({c.name, client});
    return std::nullopt;
}

void ConnectionSlots::release(const std::string& connector, const IpAddress& client) {
    std::lock_guard lock(mutex_);
    if (auto it = total_.find(connector); it != total_.end() && it->second > 0) --it->second;
    auto key = std::make_pair(connector, client);
    if (auto it = per_source_.find(key); it != per_source_.end()) {
        if (--it->second == 0) per_source_.erase(it);
    }
}

}  // namespace mw::smtp::server
