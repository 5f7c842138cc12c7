#include "daemon/control_protocol.hpp"

#include <sys/socket.h>

#include <stdexcept>

#include "daemon/logger.hpp"
#include "daemon/socket_listener.hpp"
#include "daemon/stream_server.hpp"

namespace mw::daemon {

namespace {
constexpr std::size_t max_command = 256;
}

void serve_control_connection(int fd, const ControlHandlers& handlers) {
    std::string line;
    char buf[256];
    while (line.find('\n') == std::string::npos && line.size() <= max_command) {
        long n = read_some(fd, buf, sizeof buf);
        if (n <= 0) break;
        line.append(buf, static_cast<std::size_t>(n));
    }
    if (auto nl = line.find('\n'); nl != std::string::npos) line.resize(nl);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::string reply;
    if (line == "reload") {
        log_info("control: reload requested");
        ReloadOutcome r = handlers.reload();
        reply = (r.ok ? "ok " : "error ") + std::to_string(r.generation) + "\n";
        for (const auto& e : r.errors) reply += e + "\n";
    } else if (line == "status") {
        reply = handlers.status(false);
    } else if (line == "status json") {
        reply = handlers.status(true);
    } else if (line == "flush") {
        log_info("control: queue flush requested");
        reply = handlers.flush && handlers.flush() ? "ok\n" : "error no standalone queue\n";
    } else if (line.starts_with("flush ") && line.size() > 6 && line.find_first_of(" \t", 6) == std::string::npos) {
        const std::string domain = line.substr(6);
        log_info("control: queue flush requested for " + domain);
        reply = handlers.flush_domain && handlers.flush_domain(domain) ? "ok\n" : "error cannot flush " + domain + "\n";
    } else {
        reply = "error unknown command\n";
    }
    write_all(fd, reply);
}

std::string control_request(const ListenAddress& address, const std::string& command) {
    UniqueFd fd = connect_to(address);
    if (!write_all(fd.get(), command + "\n")) throw std::runtime_error("cannot send to " + address.str());
    ::shutdown(fd.get(), SHUT_WR);
    std::string out;
    char buf[4096];
    for (;;) {
        long n = read_some(fd.get(), buf, sizeof buf);
        if (n < 0) throw std::runtime_error("cannot read from " + address.str());
        if (n == 0) break;
        out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
}

}  // namespace mw::daemon
