#include "support/counting_proxy.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

namespace mw::itest {

namespace {

sockaddr_in endpoint(const std::string& address, std::uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    if (::inet_pton(AF_INET, address.c_str(), &a.sin_addr) != 1) throw std::runtime_error("bad address " + address);
    return a;
}

}  // namespace

struct CountingProxy::State {
    int listener = -1;
    int stop_pipe[2] = {-1, -1};
    sockaddr_in upstream{};
    std::atomic<bool> stopping{false};
    mutable std::mutex mutex;
    std::size_t open = 0, most = 0, total = 0;
    // Client descriptors still counted as open. A client that closes and connects again at once
    // can be accepted before its first relay thread has seen the end: the acceptor checks these
    // for an end already there before it counts the new one.
    std::map<int, bool> counted;
    std::vector<std::thread> threads;  // the acceptor first, then one per connection

    // Copies both ways until either side closes (or the proxy stops), then closes both.
    void relay(int client) {
        int server = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (server < 0 || ::connect(server, reinterpret_cast<const sockaddr*>(&upstream), sizeof upstream) != 0) {
            if (server >= 0) ::close(server);
            done(client);
            return;
        }
        char buf[16384];
        for (;;) {
            pollfd fds[3] = {{client, POLLIN, 0}, {server, POLLIN, 0}, {stop_pipe[0], POLLIN, 0}};
            if (::poll(fds, 3, -1) < 0) break;
            if (fds[2].revents) break;
            auto pass = [&](int from, int to) {
                ssize_t n = ::read(from, buf, sizeof buf);
                if (n <= 0) return false;
                for (ssize_t off = 0; off < n;) {
                    ssize_t w = ::write(to, buf + off, static_cast<std::size_t>(n - off));
                    if (w <= 0) return false;
                    off += w;
                }
                return true;
            };
            if (fds[0].revents && !pass(client, server)) break;
            if (fds[1].revents && !pass(server, client)) break;
        }
        ::close(server);
        done(client);
    }
    void done(int client) {
        {
            std::lock_guard lock(mutex);
            if (counted[client]) --open;
            counted.erase(client);
        }
        ::close(client);  // after the erase: the number may be the next connection's at once
    }
    // Mutex held.
    void count_ends_already_there() {
        for (auto& [fd, still] : counted) {
            if (!still) continue;
            char c;
            if (::recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0) {
                still = false;
                --open;
            }
        }
    }
    void accept_loop() {
        for (;;) {
            pollfd fds[2] = {{listener, POLLIN, 0}, {stop_pipe[0], POLLIN, 0}};
            if (::poll(fds, 2, -1) < 0 || fds[1].revents) return;
            int client = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
            if (client < 0) continue;
            std::lock_guard lock(mutex);
            count_ends_already_there();
            counted[client] = true;
            ++open;
            ++total;
            most = std::max(most, open);
            threads.emplace_back([this, client] { relay(client); });
        }
    }
};

CountingProxy::CountingProxy(const std::string& address, std::uint16_t port, const std::string& to_address,
                             std::uint16_t to_port)
    : state_(std::make_shared<State>()) {
    State& s = *state_;
    s.upstream = endpoint(to_address, to_port);
    if (::pipe2(s.stop_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
    s.listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(s.listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a = endpoint(address, port);
    if (::bind(s.listener, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(s.listener, 64) != 0)
        throw std::runtime_error("counting proxy: cannot listen on " + address + ":" + std::to_string(port));
    std::lock_guard lock(s.mutex);
    s.threads.emplace_back([&s] { s.accept_loop(); });
}

CountingProxy::~CountingProxy() {
    State& s = *state_;
    [[maybe_unused]] auto w = ::write(s.stop_pipe[1], "x", 1);
    // The acceptor adds threads under the mutex; once it has returned, the list is final.
    std::thread acceptor;
    {
        std::lock_guard lock(s.mutex);
        acceptor = std::move(s.threads.front());
    }
    acceptor.join();
    std::vector<std::thread> rest;
    {
        std::lock_guard lock(s.mutex);
        rest.assign(std::make_move_iterator(s.threads.begin() + 1), std::make_move_iterator(s.threads.end()));
    }
    for (auto& t : rest) t.join();
    ::close(s.listener);
    ::close(s.stop_pipe[0]);
    ::close(s.stop_pipe[1]);
}

std::size_t CountingProxy::most_at_once() const {
    std::lock_guard lock(state_->mutex);
    return state_->most;
}

std::size_t CountingProxy::accepted() const {
    std::lock_guard lock(state_->mutex);
    return state_->total;
}

std::size_t CountingProxy::open_now() const {
    std::lock_guard lock(state_->mutex);
    return state_->open;
}

}  // namespace mw::itest
