// The delivery agent's decisions that depend on time and on DSN requests alone: when to try a
// message again, and which notifications a recipient asked for. Pure functions, tested directly.
#pragma once

#include <cstdint>

#include "smtp/delivery/delivery_agent.hpp"
#include "smtp/queue/queue.hpp"

namespace mw::smtp::delivery {

// Seconds to wait after the `attempts`-th temporary failure (1-based): retry_initial_s doubling,
// at most retry_max_s (Postfix's minimal/maximal_backoff_time, with our defaults 5 min .. 1 h); or,
// with retry_intervals_s, the attempts-th interval (the last one for every attempt after).
std::int64_t retry_delay(const DeliveryConfig& config, std::uint32_t attempts);

// RFC 3461 section 4.1: NOTIFY=NEVER asks for nothing; an explicit NOTIFY asks for what it lists;
// without NOTIFY the MTA sends failure and delay notifications but not success. The null sender
// never gets one (RFC 3461 section 6.2 / RFC 5321 section 4.5.5).
bool wants_failure_notice(const queue::Envelope& envelope, const queue::Recipient& recipient);
bool wants_delay_notice(const queue::Envelope& envelope, const queue::Recipient& recipient);
bool wants_success_notice(const queue::Envelope& envelope, const queue::Recipient& recipient);

// A message is expired when it has been queued longer than queue_lifetime_s.
bool expired(const DeliveryConfig& config, const queue::Envelope& envelope, std::int64_t now);

// When the delay warning is due for this message (0: never: disabled or already sent).
std::int64_t delay_warning_time(const DeliveryConfig& config, const queue::MessageInfo& message);

// The next attempt for a message that still has pending recipients: `wanted` (the earliest retry
// its recipients need), but never after the moment it expires or its delay warning is due, so
// those happen on time rather than at the next retry.
std::int64_t next_attempt(const DeliveryConfig& config, const queue::MessageInfo& message, bool delay_warned,
                          std::int64_t now, std::int64_t wanted);

}  // namespace mw::smtp::delivery
