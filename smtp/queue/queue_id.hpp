// Queue ids: 16 upper-case hex digits, 13 of microseconds since the epoch and 3 of a sequence, so
// ids sort by arrival (the index's key order is arrival order, which due() relies on) and 4096 ids
// fit in each microsecond. The generator never goes backwards: each id is max(previous + 1, now),
// and a restarted queue seeds "previous" with the greatest id it finds in its index, so neither a
// clock step back nor a burst of more than 4096 ids per microsecond can repeat an id.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

namespace mw::smtp::queue {

class IdGenerator {
public:
    // `last`: the greatest id already used (ignored unless it is a well-formed id).
    void seed(std::string_view last);
    std::string next();

    static bool well_formed(std::string_view id);

private:
    std::atomic<std::uint64_t> last_{0};
};

}  // namespace mw::smtp::queue
