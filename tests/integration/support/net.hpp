// Loopback networking for integration tests. Servers started by tests listen on 127.0.0.0/8 only.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace mw::itest {

// Throws unless `address` is an IPv4 address in 127.0.0.0/8: no test server may listen anywhere else.
void require_loopback(std::string_view address);

// A TCP port that was free on 127.0.0.1 a moment ago (bind port 0, read it, close). Another process
// may take it before we do; on a test machine that is rare enough.
std::uint16_t free_port();

// Waits until a TCP connection to address:port succeeds.
bool wait_port(const std::string& address, std::uint16_t port, std::chrono::milliseconds timeout);

// Waits until a socket listens on address:port, without connecting (read from /proc/net/tcp, or
// /proc/net/tcp6 for "::1", the one IPv6 address allowed), so a server's log does not show a probe
// connection.
bool wait_listening(const std::string& address, std::uint16_t port, std::chrono::milliseconds timeout);

// A unix socket path holds at most 107 bytes, and a build tree can be deep. Returns `dir` when
// "dir/" plus `room` bytes of socket name fit, else a short alias for it: a symlink
// /tmp/mw-s-PID-N -> dir (the socket is still created in `dir`; only the name used to bind and
// connect is shorter). The same directory always gets the same alias; aliases are removed when the
// test process exits.
std::filesystem::path short_socket_dir(const std::filesystem::path& dir, std::size_t room = 24);

// Waits until a connection to the unix socket succeeds.
bool wait_unix_socket(const std::filesystem::path& path, std::chrono::milliseconds timeout);

}  // namespace mw::itest
