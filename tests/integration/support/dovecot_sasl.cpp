#include "support/dovecot_sasl.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "support/net.hpp"

namespace mw::itest {

namespace fs = std::filesystem;

namespace {

std::string config(const fs::path& dir, const fs::path& auth_socket) {
    std::ostringstream c;
    c << "# Written by the mailwarden integration test fixture: Postfix's SASL server only.\n"
      << "protocols =\n"
      // Our own run and state directories, so nothing touches the system Dovecot's.
      << "base_dir = " << (dir / "run").string() << "\n"
      << "state_dir = " << (dir / "state").string() << "\n"
      << "instance_name = mailwarden-test\n"
      << "log_path = " << (dir / "dovecot.log").string() << "\n"
      << "ssl = no\n"
      // Postfix tells Dovecot whether the session is TLS-protected; smtpd_tls_auth_only is Postfix's
      // business, so Dovecot must not refuse plaintext mechanisms itself.
      << "disable_plaintext_auth = no\n"
      << "auth_mechanisms = plain login\n"
      << "auth_failure_delay = 0\n"  // the default 2 s per failed AUTH slows the tests down
      << "auth_verbose = yes\n"
      << "passdb {\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%u "
      << (dir / "users").string() << "\n}\n"
      << "userdb {\n  driver = static\n  args = uid=nobody gid=nogroup home=/nonexistent\n}\n"
      << "service auth {\n  unix_listener " << auth_socket.string()
      << " {\n    mode = 0660\n    user = postfix\n    group = postfix\n  }\n}\n";
    return c.str();
}

Process start_dovecot(const fs::path& dir, const fs::path& auth_socket, const std::vector<SaslUser>& users) {
    fs::create_directories(dir);
    {
        std::ofstream passwd(dir / "users", std::ios::trunc);
        for (const auto& u : users) passwd << u.name << ":{PLAIN}" << u.password << "\n";
        std::ofstream conf(dir / "dovecot.conf", std::ios::trunc);
        conf << config(dir, auth_socket);
    }
    SpawnOptions spawn;
    // -F: stay in the foreground, so it is our child and stops with its process group.
    spawn.argv = {"dovecot", "-F", "-c", (dir / "dovecot.conf").string()};
    spawn.stdout_path = dir / "dovecot.out";
    spawn.stderr_path = spawn.stdout_path;
    return Process(spawn);
}

}  // namespace

std::vector<SaslUser> default_sasl_users() {
    return {{"kid1@example.com", "kid1-password"}, {"teacher@example.com", "teacher-password"}};
}

DovecotSasl::DovecotSasl(fs::path dir, fs::path auth_socket, std::vector<SaslUser> users)
    : dir_(std::move(dir)),
      auth_socket_(std::move(auth_socket)),
      users_(std::move(users)),
      process_(start_dovecot(dir_, auth_socket_, users_)) {
    if (!wait_unix_socket(auth_socket_, 20s))
        throw std::runtime_error("dovecot auth socket " + auth_socket_.string() + " did not appear:\n" +
                                 read_file(dir_ / "dovecot.out") + log());
}

std::string DovecotSasl::log() const { return read_file(dir_ / "dovecot.log"); }

}  // namespace mw::itest
