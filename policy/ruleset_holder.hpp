// The current rules of a running daemon. Readers pin a snapshot for a whole session; a reload
// swaps in a complete new Ruleset atomically, so no transaction sees half old and half new rules.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "policy/ruleset.hpp"

namespace mw::policy {

class RulesetHolder {
public:
    explicit RulesetHolder(std::shared_ptr<const Ruleset> initial) : current_(std::move(initial)) {}
    std::shared_ptr<const Ruleset> snapshot() const { return current_.load(std::memory_order_acquire); }
    // Returns the new generation number.
    std::uint64_t replace(std::shared_ptr<const Ruleset> next) {
        current_.store(std::move(next), std::memory_order_release);
        return generation_.fetch_add(1, std::memory_order_acq_rel) + 1;
    }
    std::uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

private:
    std::atomic<std::shared_ptr<const Ruleset>> current_;
    std::atomic<std::uint64_t> generation_{1};
};

}  // namespace mw::policy
