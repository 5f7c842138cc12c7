#include "support/dovecot_lmtp.hpp"

#include <pwd.h>
#include <unistd.h>

#include <fstream>
#include <stdexcept>

#include "support/net.hpp"

namespace mw::itest {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

DovecotLmtp::DovecotLmtp(fs::path dir, const std::vector<std::string>& users) : dir_(std::move(dir)) {
    // Dovecot never delivers as root: as root, mail belongs to nobody.
    uid_t uid = ::getuid();
    gid_t gid = ::getgid();
    std::string internal_user, login_user;
    if (uid == 0) {
        const passwd* nobody = ::getpwnam("nobody");
        if (!nobody) throw std::runtime_error("no user nobody");
        uid = nobody->pw_uid;
        gid = nobody->pw_gid;
        internal_user = ::getpwnam("dovecot") ? "dovecot" : "nobody";
        login_user = "nobody";
    } else {
        const passwd* self = ::getpwuid(uid);
        if (!self) throw std::runtime_error("who am I?");
        internal_user = login_user = self->pw_name;
    }
    for (const char* sub : {"run", "state", "mail", "home"}) fs::create_directories(dir_ / sub);
    for (const char* sub : {"mail", "home"})
        if (::chown((dir_ / sub).c_str(), uid, gid) != 0) throw std::runtime_error("chown failed");
    std::string passwd_file;
    for (const auto& name : users)
        passwd_file += name + "@example.com::" + std::to_string(uid) + ":" + std::to_string(gid) +
                       "::" + (dir_ / "home" / name).string() + "::\n";
    std::ofstream(dir_ / "users") << passwd_file;
    std::ofstream(dir_ / "dovecot.conf")
        << "protocols = lmtp\n"
        << "base_dir = " << (dir_ / "run").string() << "\n"
        << "state_dir = " << (dir_ / "state").string() << "\n"
        << "instance_name = mailwarden-lmtp-itest\n"
        << "log_path = " << (dir_ / "dovecot.log").string() << "\n"
        << "ssl = no\n"
        << "default_internal_user = " << internal_user << "\n"
        << "default_login_user = " << login_user << "\n"
        << "mail_location = maildir:" << (dir_ / "mail").string() << "/%d/%n\n"
        << "passdb {\n  driver = static\n  args = nopassword=y\n}\n"
        << "userdb {\n  driver = passwd-file\n  args = username_format=%u " << (dir_ / "users").string() << "\n}\n"
        << "service lmtp {\n  unix_listener lmtp {\n    mode = 0666\n  }\n}\n";
    SpawnOptions o;
    o.argv = {"/usr/sbin/dovecot", "-F", "-c", (dir_ / "dovecot.conf").string()};
    o.stdout_path = dir_ / "dovecot.out";
    o.stderr_path = dir_ / "dovecot.out";
    process_.emplace(std::move(o));
    if (!wait_unix_socket(socket(), 20s))
        throw std::runtime_error("dovecot did not start:\n" + read_file(dir_ / "dovecot.out") + log());
}

DovecotLmtp::~DovecotLmtp() {
    if (process_) process_->stop(10s);
}

std::vector<std::string> DovecotLmtp::mailbox(const std::string& user) const {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir_ / "mail" / "example.com" / user / "new", ec))
        out.push_back(read_file(e.path()));
    return out;
}

std::string DovecotLmtp::log() const {
    std::error_code ec;
    return fs::exists(dir_ / "dovecot.log", ec) ? read_file(dir_ / "dovecot.log") : std::string();
}

}  // namespace mw::itest
