#include "smtp/delivery/delivery_schedule.hpp"

#include <algorithm>

namespace mw::smtp::delivery {

namespace {

bool wants(const queue::Envelope& envelope, const queue::Recipient& r, std::uint8_t flag, bool by_default) {
    if (envelope.sender.empty()) return false;
    if (r.notify & queue::notify_never) return false;
    if (r.notify == queue::notify_default) return by_default;
    return (r.notify & flag) != 0;
}

}  // namespace

std::int64_t retry_delay(const DeliveryConfig& config, std::uint32_t attempts) {
    if (!config.retry_intervals_s.empty()) {
        const auto& v = config.retry_intervals_s;
        const std::size_t i = attempts == 0 ? 0 : std::min<std::size_t>(attempts - 1, v.size() - 1);
        return std::max<std::int64_t>(v[i], 1);
    }
    const std::int64_t first = std::max<std::int64_t>(config.retry_initial_s, 1);
    const std::int64_t cap = std::max(config.retry_max_s, first);
    std::int64_t delay = first;
    for (std::uint32_t i = 1; i < attempts && delay < cap; ++i) delay *= 2;
    return std::min(delay, cap);
}

bool wants_failure_notice(const queue::Envelope& e, const queue::Recipient& r) {
    return wants(e, r, queue::notify_failure, true);
}
bool wants_delay_notice(const queue::Envelope& e, const queue::Recipient& r) {
    return wants(e, r, queue::notify_delay, true);
}
bool wants_success_notice(const queue::Envelope& e, const queue::Recipient& r) {
    return wants(e, r, queue::notify_success, false);
}

bool expired(const DeliveryConfig& config, const queue::Envelope& envelope, std::int64_t now) {
    return now - envelope.arrival > config.queue_lifetime_s;
}

std::int64_t delay_warning_time(const DeliveryConfig& config, const queue::MessageInfo& message) {
    if (config.delay_warning_s <= 0 || message.delay_warned || message.envelope.sender.empty()) return 0;
    return message.envelope.arrival + config.delay_warning_s;
}

std::int64_t next_attempt(const DeliveryConfig& config, const queue::MessageInfo& message, bool delay_warned,
                          std::int64_t now, std::int64_t wanted) {
    std::int64_t next = wanted;
    const std::int64_t expiry = message.envelope.arrival + config.queue_lifetime_s + 1;
    if (expiry > now) next = std::min(next, expiry);
    if (!delay_warned) {
        if (std::int64_t warn = delay_warning_time(config, message); warn > now) next = std::min(next, warn);
    }
    return std::max(next, now + 1);
}

}  // namespace mw::smtp::delivery
