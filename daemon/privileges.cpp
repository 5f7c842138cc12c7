#include "daemon/privileges.hpp"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <utility>
#include <vector>

namespace mw::daemon {

namespace {

// One reentrant passwd or group lookup (getpwnam_r, getgrgid_r, ...). `read` takes what is needed
// from the entry while its strings, which point into the lookup's buffer, are still alive.
// nullopt when there is no such entry or the lookup failed.
template <typename Entry, typename Key, typename Lookup, typename Read>
auto lookup(Key key, Lookup get, Read read) -> std::optional<decltype(read(std::declval<const Entry&>()))> {
    std::vector<char> buf(16384);
    Entry entry{};
    Entry* found = nullptr;
    if (get(key, &entry, buf.data(), buf.size(), &found) != 0 || !found) return std::nullopt;
    return read(entry);
}

}  // namespace

std::optional<Account> find_user(const std::string& name) {
    return lookup<passwd>(name.c_str(), ::getpwnam_r, [&](const passwd& pw) { return Account{name, pw.pw_uid, pw.pw_gid}; });
}

std::optional<gid_t> find_group(const std::string& name) {
    return lookup<group>(name.c_str(), ::getgrnam_r, [](const group& gr) { return gr.gr_gid; });
}

std::string user_name(uid_t uid) {
    return lookup<passwd>(uid, ::getpwuid_r, [](const passwd& pw) { return std::string(pw.pw_name); })
        .value_or(std::to_string(uid));
}

std::string group_name(gid_t gid) {
    return lookup<group>(gid, ::getgrgid_r, [](const group& gr) { return std::string(gr.gr_name); })
        .value_or(std::to_string(gid));
}

bool process_has_group(gid_t g) {
    if (::getegid() == g) return true;
    int n = ::getgroups(0, nullptr);
    if (n <= 0) return false;
    std::vector<gid_t> groups(static_cast<std::size_t>(n));
    n = ::getgroups(n, groups.data());
    for (int i = 0; i < n; ++i)
        if (groups[static_cast<std::size_t>(i)] == g) return true;
    return false;
}

void drop_privileges(const Account& a) {
    auto fail = [&](const char* what) {
        throw std::runtime_error(std::string("cannot drop privileges to ") + a.name + ": " + what + ": " +
                                 std::strerror(errno));
    };
    if (::initgroups(a.name.c_str(), a.gid) != 0) fail("initgroups");
    if (::setgid(a.gid) != 0) fail("setgid");
    if (::setuid(a.uid) != 0) fail("setuid");
    if (a.uid != 0 && (::setuid(0) == 0 || ::geteuid() == 0)) {
        errno = EPERM;
        fail("root could be regained");
    }
}

}  // namespace mw::daemon
