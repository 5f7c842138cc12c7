// Running as the configured user: look-ups before binding, the drop itself after (docs/conventions.md "Privileges":
// open listeners first, then drop privileges).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

namespace mw::daemon {

struct Account {
    std::string name;
    uid_t uid = 0;
    gid_t gid = 0;
};

std::optional<Account> find_user(const std::string& name);
std::optional<gid_t> find_group(const std::string& name);
// Names for log lines: the user or group name, or the number when it has none.
std::string user_name(uid_t uid);
std::string group_name(gid_t gid);

// Whether `group` is this process's effective group or one of its supplementary groups: the only
// groups a process without root may give its own files (chown answers EPERM for any other).
bool process_has_group(gid_t group);

// initgroups + setgid + setuid, then checks that root cannot be regained. Throws
// std::runtime_error on any failure: a daemon that meant to drop privileges must not go on as root.
void drop_privileges(const Account& account);

}  // namespace mw::daemon
