// How many connections outbound delivery holds open: in total (`[delivery] max_connections`) and
// to one destination (`max_connections_per_domain`), with Postfix-style slow start: a destination
// starts with a window of `initial_per_destination` connections, each delivered transaction opens
// it by one up to the limit, and each connection that fails (refused, no greeting, dropped)
// closes it by one down to one. A server that struggles gets fewer parallel sessions instead of a
// burst of them.
//
// A destination is the route's next hop as the rules name it ("example.com", "[192.0.2.1]:25").
// Open idle connections kept for reuse hold their slot too: the peer counts them as sessions.
//
// Thread-safe: the delivery lanes share one.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <map>
#include <mutex>
#include <string>

namespace mw::smtp::delivery {

struct ConnectionLimitsConfig {
    std::size_t max_connections = 1000;
    std::size_t max_per_destination = 100;
    std::size_t initial_per_destination = 5;  // Postfix's initial_destination_concurrency
};

class ConnectionLimits {
public:
    using Clock = std::chrono::steady_clock;

    explicit ConnectionLimits(ConnectionLimitsConfig config);

    // Takes a slot for a new connection to `destination`, waiting until `deadline` for one to
    // free. False when none did in time.
    bool acquire(const std::string& destination, Clock::time_point deadline);
    // Whether a slot is free now, without taking it.
    bool available(const std::string& destination) const;
    void release(const std::string& destination);

    // Feedback for slow start.
    void succeeded(const std::string& destination);
    void failed(const std::string& destination);

    std::size_t window(const std::string& destination) const;  // for tests and the log
    std::size_t open(const std::string& destination) const;
    std::size_t open_total() const;
    bool total_full() const;  // max_connections reached

private:
    struct Destination {
        std::size_t open = 0;
        std::size_t window = 0;
        Clock::time_point last_used{};
    };
    Destination& entry(const std::string& destination);  // mutex held
    bool free_for(const std::string& destination) const;  // mutex held

    ConnectionLimitsConfig config_;
    mutable std::mutex mutex_;
    std::condition_variable released_;
    std::map<std::string, Destination> destinations_;
    std::size_t total_ = 0;
};

// A slot of ConnectionLimits, released when it goes away unless handed on.
class ConnectionSlot {
public:
    ConnectionSlot() = default;
    ConnectionSlot(ConnectionLimits* limits, std::string destination)
        : limits_(limits), destination_(std::move(destination)) {}
    ConnectionSlot(ConnectionSlot&& other) noexcept { *this = std::move(other); }
    ConnectionSlot& operator=(ConnectionSlot&& other) noexcept {
        if (this != &other) {
            reset();
            limits_ = other.limits_;
            destination_ = std::move(other.destination_);
            other.limits_ = nullptr;
        }
        return *this;
    }
    ConnectionSlot(const ConnectionSlot&) = delete;
    ConnectionSlot& operator=(const ConnectionSlot&) = delete;
    ~ConnectionSlot() { reset(); }

    void reset() {
        if (limits_) limits_->release(destination_);
        limits_ = nullptr;
    }
    explicit operator bool() const { return limits_ != nullptr; }
    const std::string& destination() const { return destination_; }

private:
    ConnectionLimits* limits_ = nullptr;
    std::string destination_;
};

}  // namespace mw::smtp::delivery
