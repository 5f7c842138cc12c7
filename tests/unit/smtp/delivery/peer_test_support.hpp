// Real peers for the delivery tests, each private to the test and listening on a unix socket under
// its directory: Dovecot with only its LMTP service, and Postfix's smtp-sink (SMTP, or LMTP with
// -L). Each runs in a process group of its own, stopped with it at the end.
#pragma once

#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "delivery_test_support.hpp"

namespace mw::delivery_test {

inline bool connectable(const fs::path& path) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::snprintf(a.sun_path, sizeof a.sun_path, "%s", path.c_str());
    bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    return ok;
}

// A child process in its own group, its stdout and stderr in `out`; the destructor stops the group.
class Child {
public:
    Child(const std::vector<std::string>& argv, const fs::path& out) {
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        pid_ = ::fork();
        BOOST_TEST_REQUIRE(pid_ >= 0);
        if (pid_ == 0) {
            ::setpgid(0, 0);  // its own group: the destructor stops it and its children together
            int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
            if (fd >= 0) {
                ::dup2(fd, 1);
                ::dup2(fd, 2);
            }
            ::execv(args[0], args.data());
            ::_exit(127);
        }
        ::setpgid(pid_, pid_);
    }
    ~Child() {
        ::kill(-pid_, SIGTERM);
        for (int i = 0; i < 100; ++i) {
            if (::waitpid(pid_, nullptr, WNOHANG) == pid_) return;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        ::kill(-pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
    }
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;

private:
    pid_t pid_ = -1;
};

// A private Dovecot with only the LMTP service, its sockets, state, logs and mail under `dir`.
// Users come from a passwd-file: those given exist, anyone else gets 550 5.1.1.
class Dovecot {
public:
    explicit Dovecot(const fs::path& dir,
                     const std::vector<std::string>& users = {"bob@example.com", "carol@example.com"})
        : dir_(dir) {
        // Dovecot never delivers as root: mail belongs to nobody when we are root, else to us.
        uid_t uid = ::getuid();
        gid_t gid = ::getgid();
        std::string internal_user;
        if (uid == 0) {
            const passwd* nobody = ::getpwnam("nobody");
            BOOST_TEST_REQUIRE(nobody != nullptr);
            uid = nobody->pw_uid;
            gid = nobody->pw_gid;
            internal_user = ::getpwnam("dovecot") ? "dovecot" : "nobody";
        } else {
            const passwd* self = ::getpwuid(uid);
            BOOST_TEST_REQUIRE(self != nullptr);
            internal_user = self->pw_name;
        }
        for (const char* sub : {"run", "state", "mail", "home"}) fs::create_directories(dir_ / sub);
        for (const char* sub : {"mail", "home"}) BOOST_TEST_REQUIRE(::chown((dir_ / sub).c_str(), uid, gid) == 0);
        std::string passwd_file;
        for (const auto& user : users)
            passwd_file += user + "::" + std::to_string(uid) + ":" + std::to_string(gid) + "::" +
                           (dir_ / "home" / user).string() + "::\n";
        std::ofstream(dir_ / "users") << passwd_file;
        std::ofstream(dir_ / "dovecot.conf")
            << "protocols = lmtp\n"
            << "base_dir = " << (dir_ / "run").string() << "\n"
            << "state_dir = " << (dir_ / "state").string() << "\n"
            << "instance_name = mailwarden-lmtp-test\n"
            << "log_path = " << (dir_ / "dovecot.log").string() << "\n"
            << "ssl = no\n"
            << "default_internal_user = " << internal_user << "\n"
            << "default_login_user = " << (uid == ::getuid() ? internal_user : std::string("nobody")) << "\n"
            << "mail_location = maildir:" << (dir_ / "mail").string() << "/%d/%n\n"
            << "passdb {\n  driver = static\n  args = nopassword=y\n}\n"
            << "userdb {\n  driver = passwd-file\n  args = username_format=%u " << (dir_ / "users").string()
            << "\n}\n"
            << "service lmtp {\n  unix_listener lmtp {\n    mode = 0666\n  }\n}\n";

        child_ = std::make_unique<Child>(
            std::vector<std::string>{"/usr/sbin/dovecot", "-F", "-c", (dir_ / "dovecot.conf").string()},
            dir_ / "dovecot.out");
        const bool up = wait_until([&] { return connectable(socket()); }, std::chrono::seconds(20));
        BOOST_TEST_REQUIRE(up, "dovecot did not start:\n" << read_file(dir_ / "dovecot.out") << log());
    }
    fs::path socket() const { return dir_ / "run" / "lmtp"; }
    std::string address() const { return "unix:" + socket().string(); }
    // USER@DOMAIN's Maildir.
    fs::path maildir(const std::string& user, const std::string& domain = "example.com") const {
        return dir_ / "mail" / domain / user;
    }
    std::string log() const { return read_file(dir_ / "dovecot.log"); }

private:
    fs::path dir_;
    std::unique_ptr<Child> child_;
};

// Postfix's smtp-sink on a unix socket: answers every command with success unless told otherwise
// by its options ("-L": LMTP instead of SMTP; "-e": no ESMTP; "-f MAIL": 5xx for MAIL; "-r RCPT":
// 4xx for every RCPT). Its own replies: "250 2.0.0 Ok" after the data in SMTP, "250 2.2.0 Ok" per
// recipient in LMTP.
class SmtpSink {
public:
    SmtpSink(const fs::path& dir, const std::vector<std::string>& options = {}) : dir_(dir) {
        fs::create_directories(dir_);
        std::vector<std::string> argv{"/usr/sbin/smtp-sink"};
        // smtp-sink refuses to run as root without a user to become after opening its socket.
        if (::getuid() == 0) argv.insert(argv.end(), {"-u", "nobody"});
        argv.insert(argv.end(), options.begin(), options.end());
        argv.insert(argv.end(), {"unix:" + socket().string(), "10"});
        child_ = std::make_unique<Child>(argv, dir_ / "smtp-sink.out");
        const bool up = wait_until([&] { return connectable(socket()); }, std::chrono::seconds(20));
        BOOST_TEST_REQUIRE(up, "smtp-sink did not start:\n" << read_file(dir_ / "smtp-sink.out"));
    }
    fs::path socket() const { return dir_ / "sink.sock"; }
    std::string address() const { return "unix:" + socket().string(); }

private:
    fs::path dir_;
    std::unique_ptr<Child> child_;
};

}  // namespace mw::delivery_test
