#include "daemon/privileges.hpp"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace mw::daemon {

std::optional<Account> find_user(const std::string& name) {
    std::vector<char> buf(16384);
    passwd pw{};
    passwd* found = nullptr;
    if (::getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &found) != 0 || !found) return std::nullopt;
    return Account{name, pw.pw_uid, pw.pw_gid};
}

std::optional<gid_t> find_group(const std::string& name) {
    std::vector<char> buf(16384);
    group gr{};
    group* found = nullptr;
    if (::getgrnam_r(name.c_str(), &gr, buf.data(), buf.size(), &found) != 0 || !found) return std::nullopt;
    return gr.gr_gid;
}

std::string user_name(uid_t uid) {
    std::vector<char> buf(16384);
    passwd pw{};
    passwd* found = nullptr;
    if (::getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) != 0 || !found) return std::to_string(uid);
    return pw.pw_name;
}

std::string group_name(gid_t gid) {
    std::vector<char> buf(16384);
    group gr{};
    group* found = nullptr;
    if (::getgrgid_r(gid, &gr, buf.data(), buf.size(), &found) != 0 || !found) return std::to_string(gid);
    return gr.gr_name;
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
