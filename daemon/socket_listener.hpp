// Listening sockets for the daemon's own services (socketmap, policy service, control). Opened
// before privileges are dropped; unix sockets get the owner, group and mode the MTA needs.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "core/daemon_config.hpp"
#include "core/unique_fd.hpp"

namespace mw::daemon {

struct SocketAccess {
    std::optional<uid_t> owner;  // chown when set (we run as root then)
    std::optional<gid_t> group;  // without root: only one of the process's own groups
    mode_t mode = 0660;
};

// Creates the parent directory when missing (owned by root, group `access.group`, mode 0750),
// removes a stale socket file (refusing when another process still answers on it), binds
// and listens. inet listeners set TCP_NODELAY, which accepted connections inherit on Linux: replies
// are small writes, and Nagle's algorithm would hold each one back ~40 ms. Throws
// std::runtime_error naming the address.
UniqueFd open_listener(const ListenAddress& address, const SocketAccess& access);

// The same directory and stale-socket handling for a unix socket someone else binds (libmilter).
void prepare_unix_socket_path(const ListenAddress& address, const SocketAccess& access);
// The umask that makes bind() create a socket with access.mode (set it around a foreign bind).
mode_t socket_umask(const SocketAccess& access);
// Gives a bound socket file its owner and group (without following symlinks).
void apply_socket_access(const ListenAddress& address, const SocketAccess& access);

// Sets TCP_NODELAY on every listening TCP socket of this process bound to `port` (libmilter opens
// its socket itself and exposes no descriptor).
void set_nodelay_on_listeners(std::uint16_t port);

// Connects to a unix or inet listener (for `mailwarden reload|status`). Throws std::runtime_error.
UniqueFd connect_to(const ListenAddress& address);

}  // namespace mw::daemon
