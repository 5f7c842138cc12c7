#include "support/smtp_session.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <sstream>
#include <stdexcept>

#include "support/net.hpp"

namespace mw::itest {

SmtpSession::SmtpSession(const std::string& address, std::uint16_t port, const std::string& source) {
    require_loopback(address);
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (!source.empty()) {
        require_loopback(source);
        sockaddr_in local{};
        local.sin_family = AF_INET;
        ::inet_pton(AF_INET, source.c_str(), &local.sin_addr);
        if (::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0)
            throw std::runtime_error("cannot bind to " + source);
    }
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    ::inet_pton(AF_INET, address.c_str(), &sa.sin_addr);
    timeval tv{60, 0};  // a reply never takes this long unless something hangs
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0)
        throw std::runtime_error("cannot connect to " + address + ":" + std::to_string(port));
    greeting_ = read_reply();
}

SmtpSession::~SmtpSession() {
    if (fd_ >= 0) ::close(fd_);
}

std::string SmtpSession::read_reply() {
    std::string reply;
    for (;;) {
        auto nl = buffer_.find("\r\n");
        while (nl == std::string::npos) {
            char buf[4096];
            ssize_t n = ::read(fd_, buf, sizeof buf);
            if (n <= 0) throw std::runtime_error("connection closed while waiting for a reply; got: " + reply);
            buffer_.append(buf, static_cast<std::size_t>(n));
            nl = buffer_.find("\r\n");
        }
        std::string line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 2);
        reply += (reply.empty() ? "" : "\n") + line;
        if (line.size() < 4 || line[3] != '-') return reply;
    }
}

void SmtpSession::send_raw(std::string_view bytes) {
    if (::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(bytes.size()))
        throw std::runtime_error("cannot send " + std::to_string(bytes.size()) + " bytes");
}

bool SmtpSession::closed_by_server(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, 100) <= 0) continue;
        char buf[4096];
        ssize_t n = ::read(fd_, buf, sizeof buf);
        if (n <= 0) return true;
        buffer_.append(buf, static_cast<std::size_t>(n));
    }
    return false;
}

std::string SmtpSession::command(const std::string& line) {
    std::string out = line + "\r\n";
    if (::send(fd_, out.data(), out.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(out.size()))
        throw std::runtime_error("cannot send " + line);
    return read_reply();
}

std::string SmtpSession::send_data(const std::string& message) {
    std::string reply = command("DATA");
    if (reply.rfind("354", 0) != 0) return reply;
    std::istringstream in(message);
    std::string text, line;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (!line.empty() && line.front() == '.') line.insert(0, ".");
        text += line + "\r\n";
    }
    return command(text + ".");
}

}  // namespace mw::itest
