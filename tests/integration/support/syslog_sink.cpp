#include "support/syslog_sink.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <stdexcept>

#include "support/process.hpp"

namespace mw::itest {

namespace fs = std::filesystem;

SyslogSink::SyslogSink(fs::path socket_path, fs::path log_path)
    : socket_path_(std::move(socket_path)), log_path_(std::move(log_path)) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (socket_path_.native().size() >= sizeof addr.sun_path)
        throw std::runtime_error("syslog socket path too long: " + socket_path_.string());
    std::strcpy(addr.sun_path, socket_path_.c_str());
    socket_.reset(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!socket_) throw std::runtime_error("socket: " + std::string(std::strerror(errno)));
    ::unlink(socket_path_.c_str());
    if (::bind(socket_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
        throw std::runtime_error("cannot bind " + socket_path_.string() + ": " + std::strerror(errno));
    ::chmod(socket_path_.c_str(), 0666);  // Sendmail's children may log as another user
    std::ofstream(log_path_, std::ios::app).flush();
    reader_ = std::thread([this] { run(); });
}

SyslogSink::~SyslogSink() {
    stop_ = true;
    if (reader_.joinable()) reader_.join();
    ::unlink(socket_path_.c_str());
}

void SyslogSink::run() {
    char buf[8192];
    while (!stop_) {
        pollfd p{socket_.get(), POLLIN, 0};
        if (::poll(&p, 1, 100) <= 0) continue;
        ssize_t n = ::recv(socket_.get(), buf, sizeof buf, 0);
        if (n <= 0) continue;
        std::string line(buf, static_cast<std::size_t>(n));
        while (!line.empty() && (line.back() == '\n' || line.back() == '\0')) line.pop_back();
        std::lock_guard lock(mutex_);
        std::ofstream(log_path_, std::ios::app) << line << "\n";
    }
}

std::string SyslogSink::log() const {
    std::lock_guard lock(mutex_);
    return read_file(log_path_);
}

std::size_t SyslogSink::log_size() const { return log().size(); }

bool SyslogSink::wait_log(std::string_view needle, std::chrono::milliseconds timeout, std::size_t mark) const {
    return wait_for([&] {
        std::string text = log();
        return text.size() > mark && text.find(needle, mark) != std::string::npos;
    }, timeout, 50ms);
}

}  // namespace mw::itest
