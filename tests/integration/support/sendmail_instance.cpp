#include "support/sendmail_instance.hpp"

#include <net/if.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <stdexcept>

#include "support/net.hpp"

namespace mw::itest {

namespace fs = std::filesystem;

std::optional<fs::path> sendmail_peer_root() {
    const char* root = std::getenv("MW_SENDMAIL_ROOT");
    if (!root || !*root) return std::nullopt;
    fs::path p(root);
    if (!fs::exists(p / "usr/libexec/sendmail/sendmail") || !fs::exists(p / "usr/bin/m4")) return std::nullopt;
    return p;
}

bool isolated() {
    const char* name = std::getenv("MW_ISOLATED_HOSTNAME");
    if (!name || !*name) return false;
    // The variable could leak into a host shell; the namespace's one network interface cannot.
    struct if_nameindex* links = ::if_nameindex();
    if (!links) return false;
    bool only_lo = links[0].if_name && std::string(links[0].if_name) == "lo" && !links[1].if_name;
    ::if_freenameindex(links);
    return only_lo;
}

namespace {

void write_text(const fs::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::trunc);
    out << text;
    if (!out) throw std::runtime_error("cannot write " + path.string());
}

// Sendmail refuses key and certificate files in unsafe directories; the real path avoids the short
// /tmp alias the integration tests reach the build tree through.
std::string real(const fs::path& p) { return fs::weakly_canonical(p).string(); }

std::string mc_text(const fs::path& root, const fs::path& dir, const fs::path& queue, const Pki& pki,
                    const SendmailOptions& o) {
    const std::string cf_dir = (root / "usr/share/sendmail/cf/").string();
    const std::string host = std::getenv("MW_ISOLATED_HOSTNAME");
    const std::string port = std::to_string(o.smart_host_port);
    std::string mc;
    mc += "divert(-1)\ndefine(`_CF_DIR_', `" + cf_dir + "')\ndivert(0)dnl\n";
    mc += "include(`" + cf_dir + "m4/cf.m4')dnl\n";
    mc += "VERSIONID(`mailwarden integration test')dnl\n";
    mc += "OSTYPE(`linux')dnl\n";
    // Isolation: every name from files, no interface probing, no ident, everything under DIR.
    mc += "define(`confDOMAIN_NAME', `" + host + "')dnl\n";
    mc += "define(`confSERVICE_SWITCH_FILE', `" + real(dir / "service.switch") + "')dnl\n";
    mc += "define(`ALIAS_FILE', `')dnl\n";
    mc += "define(`confHOST_STATUS_DIRECTORY', `')dnl\n";
    mc += "define(`confDONT_PROBE_INTERFACES', `True')dnl\n";
    mc += "define(`confTO_IDENT', `0s')dnl\n";
    mc += "define(`QUEUE_DIR', `" + real(queue) + "')dnl\n";
    mc += "define(`confPID_FILE', `" + real(dir / "sendmail.pid") + "')dnl\n";
    mc += "define(`STATUS_FILE', `" + real(dir / "statistics") + "')dnl\n";
    mc += "define(`confDONT_BLAME_SENDMAIL', `GroupReadableKeyFile,GroupWritableDirPathSafe')dnl\n";
    mc += "define(`confLOG_LEVEL', `14')dnl\n";
    // STARTTLS: the server identity is the test PKI's; which client CAs count comes from the fragment.
    mc += "define(`confSERVER_CERT', `" + real(pki.server().cert) + "')dnl\n";
    mc += "define(`confSERVER_KEY', `" + real(pki.server().key) + "')dnl\n";
    mc += "FEATURE(`nocanonify')dnl\n";
    mc += "FEATURE(`accept_unresolvable_domains')dnl\n";
    mc += "FEATURE(`accept_unqualified_senders')dnl\n";
    if (!o.access_lines.empty())
        mc += "FEATURE(`access_db', `hash -T<TMPF> " + real(dir / "access") + "')dnl\n";
    for (const auto& line : o.extra_mc) mc += line + "\n";
    mc += o.mc_fragment;
    if (!mc.empty() && mc.back() != '\n') mc += "\n";
    mc += "define(`SMART_HOST', `[" + o.smart_host + "]')dnl\n";
    mc += "define(`ESMTP_MAILER_ARGS', `TCP $h " + port + "')dnl\n";
    mc += "define(`SMTP_MAILER_ARGS', `TCP $h " + port + "')dnl\n";
    mc += "define(`RELAY_MAILER_ARGS', `TCP $h " + port + "')dnl\n";
    mc += "MAILER(`local')dnl\nMAILER(`smtp')dnl\n";
    return mc;
}

}  // namespace

SendmailInstance::SendmailInstance(fs::path dir, const Pki& pki, SendmailOptions options)
    : dir_(std::move(dir)), queue_dir_(dir_ / "queue"), cf_(dir_ / "sendmail.cf") {
    if (!isolated()) throw std::runtime_error("Sendmail runs only inside tests/integration/sendmail/isolate");
    auto root = sendmail_peer_root();
    if (!root) throw std::runtime_error("Sendmail is not unpacked (MW_SENDMAIL_ROOT)");
    root_ = *root;
    require_loopback(options.smart_host);
    fs::create_directories(queue_dir_);
    fs::permissions(queue_dir_, fs::perms::owner_all, fs::perm_options::replace);
    write_text(dir_ / "service.switch", "hosts files\naliases files\n");
    write_text(dir_ / "statistics", "");
    write_text(dir_ / "sendmail.mc", mc_text(root_, dir_, queue_dir_, pki, options));

    auto m4 = run_capture({(root_ / "usr/bin/m4").string(), (dir_ / "sendmail.mc").string()}, {}, 60s);
    if (m4.status != 0) throw std::runtime_error("m4 failed: " + m4.err);
    write_text(cf_, m4.out);
    if (!options.access_lines.empty()) {
        std::string access;
        for (const auto& line : options.access_lines) access += line + "\n";
        write_text(dir_ / "access", access);
        auto made = run_capture({"env", "LD_LIBRARY_PATH=" + (root_ / "usr/lib/x86_64-linux-gnu").string(),
                                 (root_ / "usr/libexec/sendmail/makemap").string(), "-C", cf_.string(), "hash",
                                 (dir_ / "access").string()},
                                access, 60s);
        if (made.status != 0) throw std::runtime_error("makemap failed: " + made.err);
    }

    // The daemons the .cf ended up with: "O DaemonPortOptions=Family=inet, Name=internet, Port=25, Addr=…".
    static const std::regex daemon_line(R"(^O DaemonPortOptions=(.*)$)", std::regex::multiline);
    static const std::regex name_re(R"(Name=([^,]+))"), port_re(R"(Port=(\d+))"), addr_re(R"(Addr=([^,\s]+))");
    for (auto it = std::sregex_iterator(m4.out.begin(), m4.out.end(), daemon_line); it != std::sregex_iterator(); ++it) {
        std::string spec = (*it)[1];
        std::smatch m;
        std::string name = std::regex_search(spec, m, name_re) ? std::string(m[1]) : "";
        if (!std::regex_search(spec, m, port_re)) throw std::runtime_error("a daemon without Port=: " + spec);
        auto port = static_cast<std::uint16_t>(std::stoi(m[1]));
        if (!std::regex_search(spec, m, addr_re)) throw std::runtime_error("a daemon without Addr=: " + spec);
        std::string address = m[1];
        if (address != "::1") require_loopback(address);  // IPv6: loopback only, too
        daemons_.push_back({name, address, port});
        ports_.push_back(port);
    }
    if (daemons_.empty()) throw std::runtime_error("sendmail.cf has no DAEMON_OPTIONS");
    syslog_ = std::make_unique<SyslogSink>("/dev/log", dir_ / "maillog");
}

SendmailInstance::~SendmailInstance() { stop(); }

void SendmailInstance::start() {
    if (process_ && process_->running()) return;
    SpawnOptions spawn;
    spawn.argv = {(root_ / "usr/libexec/sendmail/sendmail").string(), "-bD", "-q30s", "-C", cf_.string()};
    spawn.env = {{"LD_LIBRARY_PATH", (root_ / "usr/lib/x86_64-linux-gnu").string()}};
    spawn.stdout_path = dir_ / "sendmail.out";
    spawn.stderr_path = spawn.stdout_path;
    process_.emplace(spawn);
    for (const auto& d : daemons_) {
        if (!wait_listening(d.address, d.port, 20s))
            throw std::runtime_error("Sendmail daemon " + d.name + " does not listen on " + d.address + ":" +
                                     std::to_string(d.port) +
                                     "\n" + read_file(dir_ / "sendmail.out") + log());
    }
}

void SendmailInstance::stop() {
    if (process_) process_->stop();
    process_.reset();
}

std::uint16_t SendmailInstance::port(std::string_view daemon_name) const {
    for (const auto& d : daemons_)
        if (d.name == daemon_name) return d.port;
    throw std::invalid_argument("no Sendmail daemon named " + std::string(daemon_name));
}

std::vector<std::string> SendmailInstance::queue_ids() const {
    std::vector<std::string> ids;
    for (const auto& entry : fs::directory_iterator(queue_dir_)) {
        std::string name = entry.path().filename().string();
        if (name.rfind("qf", 0) == 0) ids.push_back(name.substr(2));
    }
    return ids;
}

}  // namespace mw::itest
