#include "smtp/queue/queue_id.hpp"

#include <algorithm>
#include <chrono>

namespace mw::smtp::queue {

namespace {

constexpr int sequence_bits = 12;

std::uint64_t now_value() {
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                  std::chrono::system_clock::now().time_since_epoch()).count();
    return static_cast<std::uint64_t>(us < 0 ? 0 : us) << sequence_bits;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

bool IdGenerator::well_formed(std::string_view id) {
    if (id.size() != 16) return false;
    for (char c : id)
        if (hex_value(c) < 0) return false;
    return true;
}

void IdGenerator::seed(std::string_view last) {
    if (!well_formed(last)) return;
    std::uint64_t v = 0;
    for (char c : last) v = (v << 4) | static_cast<std::uint64_t>(hex_value(c));
    std::uint64_t seen = last_.load();
    while (v > seen && !last_.compare_exchange_weak(seen, v)) {
    }
}

std::string IdGenerator::next() {
    std::uint64_t now = now_value();
    std::uint64_t prev = last_.load();
    std::uint64_t mine = 0;
    do {
        mine = std::max(prev + 1, now);
    } while (!last_.compare_exchange_weak(prev, mine));
    static constexpr char digits[] = "0123456789ABCDEF";
    std::string id(16, '0');
    for (int i = 15; i >= 0; --i, mine >>= 4) id[static_cast<std::size_t>(i)] = digits[mine & 0xFu];
    return id;
}

}  // namespace mw::smtp::queue
