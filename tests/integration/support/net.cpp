#include "support/net.hpp"

#include <unistd.h>

#include <map>
#include <mutex>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <sstream>
#include <stdexcept>

#include "support/process.hpp"

namespace mw::itest {

namespace {

// Closes the descriptor on every path out.
struct Socket {
    int fd;
    explicit Socket(int domain) : fd(::socket(domain, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
        if (fd < 0) throw std::runtime_error("socket failed");
    }
    ~Socket() { ::close(fd); }
    Socket(const Socket&) = delete;
    Socket& operator=(const Socket&) = delete;
};

sockaddr_in loopback(const std::string& address, std::uint16_t port) {
    require_loopback(address);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    ::inet_pton(AF_INET, address.c_str(), &sa.sin_addr);
    return sa;
}

}  // namespace

void require_loopback(std::string_view address) {
    in_addr a{};
    std::string text(address);
    if (::inet_pton(AF_INET, text.c_str(), &a) != 1 || (ntohl(a.s_addr) >> 24) != 127)
        throw std::invalid_argument("not a 127.0.0.0/8 address: " + text);
}

std::uint16_t free_port() {
    Socket s(AF_INET);
    sockaddr_in sa = loopback("127.0.0.1", 0);
    if (::bind(s.fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) throw std::runtime_error("bind failed");
    socklen_t len = sizeof sa;
    if (::getsockname(s.fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0)
        throw std::runtime_error("getsockname failed");
    return ntohs(sa.sin_port);
}

bool wait_port(const std::string& address, std::uint16_t port, std::chrono::milliseconds timeout) {
    sockaddr_in sa = loopback(address, port);
    return wait_for(
        [&sa] {
            Socket s(AF_INET);
            return ::connect(s.fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) == 0;
        },
        timeout);
}

bool wait_listening(const std::string& address, std::uint16_t port, std::chrono::milliseconds timeout) {
    // /proc/net/tcp prints the address as the hex of its in-memory (network order) 32-bit value;
    // /proc/net/tcp6 prints four such words, ::1 as 00000000000000000000000001000000.
    char wanted[64];
    const char* table_path = "/proc/net/tcp";
    if (address == "::1") {
        std::snprintf(wanted, sizeof wanted, "00000000000000000000000001000000:%04X", port);
        table_path = "/proc/net/tcp6";
    } else {
        sockaddr_in sa = loopback(address, port);
        std::snprintf(wanted, sizeof wanted, "%08X:%04X", sa.sin_addr.s_addr, port);
    }
    return wait_for(
        [&wanted, table_path] {
            std::istringstream table(read_file(table_path));
            std::string line;
            std::getline(table, line);  // header
            while (std::getline(table, line)) {
                std::istringstream fields(line);
                std::string slot, local, remote, state;
                fields >> slot >> local >> remote >> state;
                if (local == wanted && state == "0A") return true;  // 0A: TCP_LISTEN
            }
            return false;
        },
        timeout);
}

bool wait_unix_socket(const std::filesystem::path& path, std::chrono::milliseconds timeout) {
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::string p = path.string();
    if (p.size() >= sizeof sa.sun_path) throw std::invalid_argument("unix socket path too long: " + p);
    std::memcpy(sa.sun_path, p.c_str(), p.size() + 1);
    return wait_for(
        [&sa] {
            Socket s(AF_UNIX);
            return ::connect(s.fd, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) == 0;
        },
        timeout);
}

}  // namespace mw::itest

namespace mw::itest {

namespace {
struct AliasRegistry {
    std::mutex mutex;
    std::map<std::filesystem::path, std::filesystem::path> aliases;  // real directory -> alias
    ~AliasRegistry() {
        std::error_code ec;
        for (const auto& entry : aliases) std::filesystem::remove(entry.second, ec);
    }
};
AliasRegistry& alias_registry() {
    static AliasRegistry r;
    return r;
}
}  // namespace

std::filesystem::path short_socket_dir(const std::filesystem::path& dir, std::size_t room) {
    constexpr std::size_t sun_path_max = 107;
    if (dir.string().size() + 1 + room <= sun_path_max) return dir;
    auto& r = alias_registry();
    std::lock_guard lock(r.mutex);
    if (auto it = r.aliases.find(dir); it != r.aliases.end()) return it->second;
    std::filesystem::path alias =
        "/tmp/mw-s-" + std::to_string(::getpid()) + "-" + std::to_string(r.aliases.size());
    std::error_code ec;
    std::filesystem::remove(alias, ec);
    std::filesystem::create_directory_symlink(dir, alias);
    r.aliases.emplace(dir, alias);
    return alias;
}

}  // namespace mw::itest
