#include "daemon/stream_server.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "daemon/logger.hpp"

namespace mw::daemon {

StreamServer::StreamServer(std::string name, UniqueFd listener, Handler handler)
    : name_(std::move(name)), listener_(std::move(listener)), handler_(std::move(handler)) {}

StreamServer::~StreamServer() { stop(); }

void StreamServer::start() { acceptor_ = std::thread([this] { accept_loop(); }); }

void StreamServer::accept_loop() {
    for (;;) {
        pollfd p{listener_.get(), POLLIN, 0};
        int rc = ::poll(&p, 1, 200);  // wakes to notice stop()
        {
            std::lock_guard lock(mutex_);
            if (stopping_) return;
        }
        if (rc <= 0) continue;
        int fd = ::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno != EINTR && errno != EAGAIN && errno != ECONNABORTED)
                log_warning(name_ + ": accept: " + std::strerror(errno));
            continue;
        }
        std::lock_guard lock(mutex_);
        if (open_.size() >= max_connections) {
            // Postfix opens one connection per smtpd/smtp process; far more is a runaway client.
            log_warning(name_ + ": " + std::to_string(max_connections) + " connections open; refusing another");
            ::close(fd);
            continue;
        }
        open_.insert(fd);
        ++total_;
        try {
            std::thread([this, fd] { serve(fd); }).detach();
        } catch (const std::system_error& e) {
            log_warning(name_ + ": cannot start a connection thread: " + e.what());
            open_.erase(fd);
            ::close(fd);
        }
    }
}

void StreamServer::serve(int fd) {
    try {
        handler_(fd);
    } catch (const std::exception& e) {
        log_warning(name_ + ": connection ended by an internal error: " + e.what());
    } catch (...) {
        log_warning(name_ + ": connection ended by an internal error");
    }
    // Forgotten before closed: once closed, accept() may hand out the same number again.
    std::lock_guard lock(mutex_);
    open_.erase(fd);
    ::close(fd);
    if (open_.empty()) idle_.notify_all();
}

void StreamServer::stop() {
    {
        std::lock_guard lock(mutex_);
        if (stopping_ && !acceptor_.joinable()) return;
        stopping_ = true;
    }
    if (acceptor_.joinable()) acceptor_.join();
    std::unique_lock lock(mutex_);
    for (int fd : open_) ::shutdown(fd, SHUT_RD);
    idle_.wait(lock, [this] { return open_.empty(); });
}

std::uint64_t StreamServer::connections_total() const {
    std::lock_guard lock(mutex_);
    return total_;
}

std::size_t StreamServer::connections_open() const {
    std::lock_guard lock(mutex_);
    return open_.size();
}

long read_some(int fd, char* buf, std::size_t max) {
    for (;;) {
        ssize_t n = ::read(fd, buf, max);
        if (n >= 0) return static_cast<long>(n);
        if (errno != EINTR) return -1;
    }
}

bool write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

}  // namespace mw::daemon
