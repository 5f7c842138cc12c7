// `mailwarden serve` started as an ordinary user (README "mailwarden serve": "started as another user, it runs as
// that user"): on a machine that has a `postfix` group the daemon's user is not in, it must still
// start and listen, keeping its sockets' group and saying what to change; with that group among
// its supplementary groups, the sockets and the directory it creates get it.
#define BOOST_TEST_MODULE serve_unprivileged
#include <boost/test/unit_test.hpp>

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "support/mailwarden_daemon.hpp"
#include "support/net.hpp"
#include "support/process.hpp"
#include "test_support.hpp"

using namespace mw::itest;
namespace fs = std::filesystem;

namespace {

constexpr const char* mta_sockets[] = {"milter.sock", "socketmap.sock", "policy.sock"};

gid_t group_id(const char* name) {
    group* g = ::getgrnam(name);
    BOOST_TEST_REQUIRE(g != nullptr, "this test needs a group " << name);
    return g->gr_gid;
}

// A directory `nobody` can write, where the daemon puts its sockets (or creates `mta/` for them).
fs::path nobody_directory(const fs::path& p) {
    fs::create_directories(p);
    passwd* pw = ::getpwnam("nobody");
    BOOST_TEST_REQUIRE(pw != nullptr);
    BOOST_TEST_REQUIRE(::chown(p.c_str(), pw->pw_uid, pw->pw_gid) == 0);
    return p;
}

MailwardenOptions as_nobody(const fs::path& socket_dir, std::vector<std::string> groups) {
    MailwardenOptions o;
    o.rules_source = fs::path(MW_SOURCE_DIR) / "rules";
    o.socket_dir = socket_dir;
    o.start_as_user = "nobody";
    o.start_as_group = "nogroup";
    o.start_with_groups = std::move(groups);
    return o;
}

struct stat stat_of(const fs::path& p) {
    struct stat st{};
    BOOST_TEST_REQUIRE(::lstat(p.c_str(), &st) == 0, p.string());
    return st;
}

}  // namespace

BOOST_AUTO_TEST_CASE(started_as_nobody_it_listens_and_says_why_postfix_cannot_reach_it) {
    gid_t postfix = group_id("postfix");
    gid_t nogroup = group_id("nogroup");
    mw::test::TempDir dir("su");
    fs::path sockets = short_socket_dir(nobody_directory(dir.path() / "sockets"));
    MailwardenDaemon daemon(dir.path() / "mailwarden", as_nobody(sockets, {}));
    daemon.start();

    auto status = daemon.status();
    BOOST_TEST(status.status == 0, status.out << status.err << daemon.log());
    BOOST_TEST(status.out.rfind("generation 1\n", 0) == 0u, status.out);
    for (const char* name : mta_sockets) {
        BOOST_TEST(wait_unix_socket(sockets / name, 5s), name);
        struct stat st = stat_of(sockets / name);
        BOOST_TEST(S_ISSOCK(st.st_mode), name);
        BOOST_TEST((st.st_mode & 0777) == 0660u, name);
        // Not the postfix group, which nobody cannot give away: its own.
        BOOST_TEST(st.st_gid != postfix, name);
        BOOST_TEST(st.st_gid == nogroup, name);
    }
    std::string log = daemon.log();
    BOOST_TEST(log.find("chown") == std::string::npos, log);
    BOOST_TEST(log.find("running as") == std::string::npos, log);
    // A warning naming the group and what to do about it.
    auto warning = log.find("warning: mailwarden runs as nobody");
    BOOST_TEST(warning != std::string::npos, log);
    std::string line = log.substr(warning, log.find('\n', warning) - warning);
    BOOST_TEST(line.find("group postfix") != std::string::npos, line);
    BOOST_TEST(line.find("socket_group") != std::string::npos, line);
    int stopped = daemon.stop();
    BOOST_TEST(stopped == 0, daemon.log());
}

BOOST_AUTO_TEST_CASE(with_postfix_among_its_groups_the_sockets_and_their_directory_get_it) {
    gid_t postfix = group_id("postfix");
    mw::test::TempDir dir("su");
    // The daemon creates mta/ itself: owned by nobody, group postfix, mode 0750.
    fs::path sockets = short_socket_dir(nobody_directory(dir.path() / "sockets"), 40) / "mta";
    MailwardenDaemon daemon(dir.path() / "mailwarden", as_nobody(sockets, {"postfix"}));
    daemon.start();

    struct stat d = stat_of(sockets);
    BOOST_TEST(S_ISDIR(d.st_mode));
    BOOST_TEST((d.st_mode & 0777) == 0750u);
    BOOST_TEST(d.st_gid == postfix);
    for (const char* name : mta_sockets) {
        BOOST_TEST(wait_unix_socket(sockets / name, 5s), name);
        struct stat st = stat_of(sockets / name);
        BOOST_TEST((st.st_mode & 0777) == 0660u, name);
        BOOST_TEST(st.st_gid == postfix, name);
    }
    std::string log = daemon.log();
    BOOST_TEST(log.find("socket_group") == std::string::npos, log);
    int stopped = daemon.stop();
    BOOST_TEST(stopped == 0, daemon.log());
}
