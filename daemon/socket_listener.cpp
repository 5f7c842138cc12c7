#include "daemon/socket_listener.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace mw::daemon {

namespace {

[[noreturn]] void fail(const std::string& what) {
    throw std::runtime_error(what + ": " + std::strerror(errno));
}

sockaddr_un unix_address(const ListenAddress& a) {
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::string p = a.path.string();
    std::memcpy(sa.sun_path, p.c_str(), std::min(p.size(), sizeof sa.sun_path - 1));
    return sa;
}

// Fills a sockaddr for an inet address; returns its length.
socklen_t inet_address(const ListenAddress& a, sockaddr_storage& ss) {
    std::memset(&ss, 0, sizeof ss);
    auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
    if (::inet_pton(AF_INET, a.host.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(a.port);
        return sizeof(sockaddr_in);
    }
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
    if (::inet_pton(AF_INET6, a.host.c_str(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(a.port);
        return sizeof(sockaddr_in6);
    }
    throw std::runtime_error(a.str() + ": not an IP address");
}

bool someone_listens(const ListenAddress& a) {
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) return false;
    sockaddr_un sa = unix_address(a);
    return ::connect(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0;
}

}  // namespace

void prepare_unix_socket_path(const ListenAddress& a, const SocketAccess& access) {
    namespace fs = std::filesystem;
    fs::path dir = a.path.parent_path();
    std::error_code ec;
    if (!fs::exists(dir, ec)) {
        fs::create_directories(dir, ec);
        if (ec) throw std::runtime_error(a.str() + ": cannot create " + dir.string() + ": " + ec.message());
        // Owned by root (the daemon's user must not be able to swap the socket for a symlink
        // while root sets its owner), searchable by the MTA's group only. Started without root,
        // the daemon's own user owns it, and `access.group` is one of its groups (or unset).
        ::chmod(dir.c_str(), access.group ? 0750 : 0755);
        bool root = ::geteuid() == 0;
        if (access.group && ::lchown(dir.c_str(), root ? 0 : static_cast<uid_t>(-1), *access.group) != 0)
            fail(a.str() + ": chown " + dir.string());
    }
    struct stat st{};
    if (::lstat(a.path.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) throw std::runtime_error(a.str() + ": exists and is not a socket");
        if (someone_listens(a)) throw std::runtime_error(a.str() + ": another process is listening there");
        ::unlink(a.path.c_str());
    }
}

mode_t socket_umask(const SocketAccess& access) { return static_cast<mode_t>(~access.mode & 0777); }

void apply_socket_access(const ListenAddress& a, const SocketAccess& access) {
    if (a.kind != ListenAddress::Kind::unix_socket) return;
    // lchown: never follows a symlink put in the socket's place. The mode was set at bind time by
    // the umask (chmod by path would follow one).
    if (access.owner || access.group)
        if (::lchown(a.path.c_str(), access.owner.value_or(static_cast<uid_t>(-1)),
                     access.group.value_or(static_cast<gid_t>(-1))) != 0)
            fail(a.str() + ": chown");
}

UniqueFd open_listener(const ListenAddress& a, const SocketAccess& access) {
    if (a.kind == ListenAddress::Kind::unix_socket) {
        prepare_unix_socket_path(a, access);
        UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
        if (!fd) fail(a.str() + ": socket");
        sockaddr_un sa = unix_address(a);
        // The umask gives the socket its final mode at once: never briefly open to everyone.
        mode_t old = ::umask(socket_umask(access));
        int rc = ::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa);
        ::umask(old);
        if (rc != 0) fail(a.str() + ": bind");
        apply_socket_access(a, access);
        if (::listen(fd.get(), 128) != 0) fail(a.str() + ": listen");
        return fd;
    }
    sockaddr_storage ss;
    socklen_t len = inet_address(a, ss);
    UniqueFd fd(::socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) fail(a.str() + ": socket");
    int one = 1;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0) fail(a.str() + ": bind");
    if (::listen(fd.get(), 128) != 0) fail(a.str() + ": listen");
    return fd;
}

void set_nodelay_on_listeners(std::uint16_t port) {
    DIR* dir = ::opendir("/proc/self/fd");
    if (!dir) return;
    while (dirent* e = ::readdir(dir)) {
        char* end = nullptr;
        long fd = std::strtol(e->d_name, &end, 10);
        if (!end || *end != '\0' || fd < 0 || fd == ::dirfd(dir)) continue;
        sockaddr_storage ss{};
        socklen_t len = sizeof ss;
        if (::getsockname(static_cast<int>(fd), reinterpret_cast<sockaddr*>(&ss), &len) != 0) continue;
        std::uint16_t bound = 0;
        if (ss.ss_family == AF_INET) bound = ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
        else if (ss.ss_family == AF_INET6) bound = ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
        else continue;
        int listening = 0;
        socklen_t optlen = sizeof listening;
        if (bound != port || ::getsockopt(static_cast<int>(fd), SOL_SOCKET, SO_ACCEPTCONN, &listening, &optlen) != 0 ||
            !listening)
            continue;
        int one = 1;
        ::setsockopt(static_cast<int>(fd), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    ::closedir(dir);
}

UniqueFd connect_to(const ListenAddress& a) {
    if (a.kind == ListenAddress::Kind::unix_socket) {
        UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
        if (!fd) fail("socket");
        sockaddr_un sa = unix_address(a);
        if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) fail("connect to " + a.str());
        return fd;
    }
    sockaddr_storage ss;
    socklen_t len = inet_address(a, ss);
    UniqueFd fd(::socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) fail("socket");
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0) fail("connect to " + a.str());
    return fd;
}

}  // namespace mw::daemon
