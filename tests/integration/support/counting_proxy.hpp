// A TCP relay in front of a real peer that counts the connections passing through it: how many
// at once (the most seen) and how many in all. The connection-limit and reuse tests put one
// between mailwarden and the peer: the peer still speaks the protocol, the relay only watches.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace mw::itest {

class CountingProxy {
public:
    // Listens on address:port (127.0.0.0/8) and relays each connection to to_address:to_port.
    CountingProxy(const std::string& address, std::uint16_t port, const std::string& to_address, std::uint16_t to_port);
    ~CountingProxy();  // closes everything and joins its threads
    CountingProxy(const CountingProxy&) = delete;
    CountingProxy& operator=(const CountingProxy&) = delete;

    std::size_t most_at_once() const;
    std::size_t accepted() const;
    std::size_t open_now() const;

private:
    struct State;
    std::shared_ptr<State> state_;
};

}  // namespace mw::itest
