// A small accept loop for the daemon's line/netstring services (socketmap, policy service,
// control): one thread per connection. Postfix keeps few, long-lived connections to such services
// (one per smtpd/smtp process), so threads are simple and cheap enough here.
//
// stop() stops accepting, then shuts down the read side of every open connection: a handler
// finishes the request it is answering, sees end of input, and returns. No request is cut off.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "core/unique_fd.hpp"

namespace mw::daemon {

class StreamServer {
public:
    // Runs on the connection's own thread; returns when the peer closes or on error. The server
    // closes the descriptor afterwards.
    using Handler = std::function<void(int fd)>;
    static constexpr std::size_t max_connections = 4096;

    StreamServer(std::string name, UniqueFd listener, Handler handler);
    ~StreamServer();
    StreamServer(const StreamServer&) = delete;
    StreamServer& operator=(const StreamServer&) = delete;

    void start();
    void stop();
    std::uint64_t connections_total() const;
    std::size_t connections_open() const;

private:
    void accept_loop();
    void serve(int fd);

    std::string name_;
    UniqueFd listener_;
    Handler handler_;
    std::thread acceptor_;
    mutable std::mutex mutex_;
    std::condition_variable idle_;
    std::set<int> open_;
    std::uint64_t total_ = 0;
    bool stopping_ = false;
};

// Reads up to `max` bytes; returns 0 at end of input, -1 on error (EINTR retried).
long read_some(int fd, char* buf, std::size_t max);
// Writes everything; false on error (the peer went away).
bool write_all(int fd, std::string_view data);

}  // namespace mw::daemon
