#include "support/standalone_world.hpp"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "support/net.hpp"
#include "support/process.hpp"

namespace mw::itest {

namespace fs = std::filesystem;

namespace {

// A crypt(3) SHA-512 hash, as `mkpasswd -m sha-512` or `openssl passwd -6` writes it.
std::string crypt_hash(const std::string& password) {
    auto r = run_capture({"openssl", "passwd", "-6", password});
    if (r.status != 0) throw std::runtime_error("openssl passwd failed: " + r.err);
    std::string h = r.out;
    while (!h.empty() && (h.back() == '\n' || h.back() == '\r')) h.pop_back();
    return h;
}

// The daemon drops to `nobody` when the tests run as root: it must write the Maildirs.
void give_to_daemon_user(const fs::path& p) {
    if (::geteuid() != 0) return;
    if (passwd* pw = ::getpwnam("nobody")) [[maybe_unused]] int rc = ::chown(p.c_str(), pw->pw_uid, pw->pw_gid);
}

}  // namespace

StandaloneWorld::StandaloneWorld(fs::path dir, const Pki& pki, StandaloneOptions options)
    : dir_(std::move(dir)), smtp_port_(free_port()), submission_port_(free_port()), limits_port_(free_port()),
      tiny_port_(free_port()) {
    fs::create_directories(dir_);
    mail_root_ = dir_ / "mail";
    fs::create_directories(mail_root_);
    give_to_daemon_user(mail_root_);
    fs::permissions(dir_, fs::perms::others_exec | fs::perms::others_read, fs::perm_options::add);

    fs::path users = dir_ / "users";
    std::ofstream(users) << "# test logins\nalice:" << crypt_hash("alice-secret") << "\nkid1:" << crypt_hash("kid1-secret")
                         << "\n";
    fs::permissions(users, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::replace);

    // Without a private DNS, the resolver asks a loopback port where nothing listens: mail for other
    // domains waits (4.4.3), and no query ever leaves the machine.
    const std::string no_dns = "[dns]\nforwarders = [\"127.0.0.1:9\"]\n";
    MailwardenOptions m;
    m.rules_source = fs::path(MW_SOURCE_DIR) / "tests/data/standalone-itest";
    m.socket_dir = dir_ / "sockets";
    fs::create_directories(m.socket_dir);
    m.milter = false;
    m.substitutions = {{"@SMTP_PORT@", std::to_string(smtp_port_)},
                       {"@SUBMISSION_PORT@", std::to_string(submission_port_)},
                       {"@LIMITS_PORT@", std::to_string(limits_port_)},
                       {"@TINY_PORT@", std::to_string(tiny_port_)},
                       {"@REVERSE_DNS@", options.reverse_dns},
                       {"@PINNED_SHA256@", pki.pinned().sha256}};
    std::string delivery = options.lmtp.empty() ? "maildir = \"" + (mail_root_ / "{domain}/{user}/").string() + "\"\n"
                                                : "lmtp = \"" + options.lmtp + "\"\n";
    m.extra_config = "[smtp]\nenabled = true\ntls_cert = \"" + pki.server().cert.string() + "\"\ntls_key = \"" +
                     pki.server().key.string() + "\"\nusers_file = \"" + users.string() + "\"\n[delivery]\n" + delivery +
                     options.extra_delivery + "\n" + (options.dns.empty() ? no_dns : options.dns);
    daemon_ = std::make_unique<MailwardenDaemon>(dir_ / "mailwarden", m);
    fs::create_directories(daemon_->rules_dir() / "certs");
    fs::copy_file(pki.partner_ca().cert, daemon_->rules_dir() / "certs/partners.pem");
    fs::permissions(daemon_->rules_dir() / "certs/partners.pem", fs::perms::others_read, fs::perm_options::add);
    fs::permissions(daemon_->rules_dir() / "certs", fs::perms::others_read | fs::perms::others_exec, fs::perm_options::add);
}

SwaksOptions StandaloneWorld::internet(std::string from, std::vector<std::string> to) const {
    SwaksOptions s;
    s.port = smtp_port_;
    s.from = std::move(from);
    s.to = std::move(to);
    return s;
}

SwaksOptions StandaloneWorld::submission(std::string user, std::string password, std::vector<std::string> to) const {
    SwaksOptions s;
    s.port = submission_port_;
    s.from = user + "@example.com";
    s.to = std::move(to);
    s.tls = true;
    s.auth = "PLAIN";
    s.auth_user = std::move(user);
    s.auth_password = std::move(password);
    return s;
}

std::vector<std::string> StandaloneWorld::mailbox(const std::string& user, const std::string& domain) const {
    std::vector<std::pair<fs::file_time_type, fs::path>> files;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(mail_root_ / domain / user / "new", ec))
        files.emplace_back(e.last_write_time(), e.path());
    std::sort(files.begin(), files.end());
    std::vector<std::string> out;
    for (const auto& [_, p] : files) out.push_back(read_file(p));
    return out;
}

std::optional<std::string> StandaloneWorld::wait_message(const std::string& user, const std::string& needle,
                                                         std::chrono::milliseconds timeout,
                                                         const std::string& domain) const {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    do {
        for (const auto& m : mailbox(user, domain))
            if (m.find(needle) != std::string::npos) return m;
        std::this_thread::sleep_for(50ms);
    } while (std::chrono::steady_clock::now() < deadline);
    return std::nullopt;
}

mw::test::RunResult StandaloneWorld::queue(std::vector<std::string> args) const {
    args.insert(args.begin(), "queue");
    args.push_back("--config");
    args.push_back(daemon_->config_file().string());
    return mw::test::run_mailwarden(args);
}

}  // namespace mw::itest
