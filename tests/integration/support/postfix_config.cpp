#include "support/postfix_config.hpp"

#include <algorithm>
#include <sstream>
#include <stdexcept>
#include <utility>
#include <vector>

#include "support/net.hpp"

namespace mw::itest {

namespace {

using Parameters = std::vector<std::pair<std::string, std::string>>;

void set(Parameters& params, const std::string& name, const std::string& value) {
    auto it = std::find_if(params.begin(), params.end(), [&name](const auto& p) { return p.first == name; });
    if (it != params.end())
        it->second = value;
    else
        params.emplace_back(name, value);
}

// "[127.0.0.1]:2525" → "127.0.0.1"
void require_loopback_relayhost(const std::string& relayhost) {
    if (relayhost.size() < 3 || relayhost.front() != '[' || relayhost.find(']') == std::string::npos)
        throw std::invalid_argument("relayhost must be [127.x.y.z]:port, not " + relayhost);
    require_loopback(relayhost.substr(1, relayhost.find(']') - 1));
}

}  // namespace

std::string render_main_cf(const PostfixOptions& options, const PostfixConfigPaths& paths, const Pki& pki) {
    require_loopback_relayhost(options.relayhost);
    const std::string server_chain = pki.server().key.string() + ", " + pki.server().cert.string();
    Parameters p{
        {"compatibility_level", "3.6"},
        {"queue_directory", paths.queue.string()},
        {"data_directory", paths.data.string()},
        // postlogd writes the log (no syslog needed); it refuses files outside these prefixes.
        {"maillog_file", paths.maillog.string()},
        {"maillog_file_prefixes", paths.dir.string()},
        {"myhostname", "mx.example.com"},
        {"mydomain", "example.com"},
        {"mydestination", ""},
        {"local_recipient_maps", ""},
        {"alias_maps", ""},
        {"alias_database", ""},
        {"biff", "no"},
        {"append_dot_mydomain", "no"},
        {"relayhost", options.relayhost},
        {"relay_domains", options.relay_domains},
        {"mynetworks", options.mynetworks},
        {"inet_interfaces", "127.0.0.1"},
        {"inet_protocols", "ipv4"},
        {"smtp_dns_support_level", "disabled"},
        {"smtpd_error_sleep_time", "0"},
        // Postfix 3.7's default ends in defer_unauth_destination (454 4.7.1); tests expect the 554
        // 5.7.1 a production relay gives.
        {"smtpd_relay_restrictions", "permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination"},
        {"smtpd_authorized_xclient_hosts", "127.0.0.0/8"},
        {"smtpd_tls_security_level", "may"},
        {"smtpd_tls_chain_files", server_chain},
        {"smtpd_tls_ask_ccert", "yes"},
        {"smtpd_tls_fingerprint_digest", "sha256"},
        // 1 logs "Trusted/Untrusted/Anonymous TLS connection established"; 2 adds the peer's
        // subject_CN, issuer, fingerprint and pkey_fingerprint (and much handshake noise).
        {"smtpd_tls_loglevel", "1"},
        {"smtpd_tls_received_header", "yes"},
        // The smtp client presents our certificate when a next hop asks (Domain Security).
        {"smtp_tls_security_level", "may"},
        {"smtp_tls_chain_files", server_chain},
        {"smtp_tls_CAfile", pki.ca().cert.string()},
        {"smtp_tls_fingerprint_digest", "sha256"},
        {"smtp_tls_loglevel", "1"},
        {"delay_warning_time", "0"},
    };
    if (!options.smtpd_tls_CAfile.empty()) set(p, "smtpd_tls_CAfile", options.smtpd_tls_CAfile.string());
    if (options.dovecot_sasl) {
        set(p, "smtpd_sasl_auth_enable", "yes");
        set(p, "smtpd_sasl_type", "dovecot");
        set(p, "smtpd_sasl_path", "private/auth");  // relative to the queue directory, chroot or not
    }
    for (const auto& [name, value] : options.main_cf) set(p, name, value);

    std::ostringstream out;
    out << "# Written by the mailwarden integration test fixture.\n";
    for (const auto& [name, value] : p) out << name << " = " << value << "\n";
    if (!options.extra_main_cf.empty()) out << "# Added by the test\n";
    for (const auto& line : options.extra_main_cf) out << line << "\n";
    return out.str();
}

std::string render_master_cf(const PostfixOptions& options) {
    // Debian 12's stock master.cf, minus the pipe(8) examples; the chroot column as Debian ships it
    // when options.chroot, else "n" everywhere.
    struct Row {
        const char* name;
        const char* type;
        const char* priv;
        bool chroot;  // Debian's stock value
        const char* wakeup;
        const char* maxproc;
        const char* command;
    };
    static const Row rows[] = {
        {"pickup", "unix", "n", true, "60", "1", "pickup"},
        {"cleanup", "unix", "n", true, "-", "0", "cleanup"},
        {"qmgr", "unix", "n", false, "300", "1", "qmgr"},
        {"tlsmgr", "unix", "-", true, "1000?", "1", "tlsmgr"},
        {"rewrite", "unix", "-", true, "-", "-", "trivial-rewrite"},
        {"bounce", "unix", "-", true, "-", "0", "bounce"},
        {"defer", "unix", "-", true, "-", "0", "bounce"},
        {"trace", "unix", "-", true, "-", "0", "bounce"},
        {"verify", "unix", "-", true, "-", "1", "verify"},
        {"flush", "unix", "n", true, "1000?", "0", "flush"},
        {"proxymap", "unix", "-", false, "-", "-", "proxymap"},
        {"proxywrite", "unix", "-", false, "-", "1", "proxymap"},
        {"smtp", "unix", "-", true, "-", "-", "smtp"},
        {"relay", "unix", "-", true, "-", "-", "smtp"},
        {"showq", "unix", "n", true, "-", "-", "showq"},
        {"error", "unix", "-", true, "-", "-", "error"},
        {"retry", "unix", "-", true, "-", "-", "error"},
        {"discard", "unix", "-", true, "-", "-", "discard"},
        {"local", "unix", "-", false, "-", "-", "local"},
        {"anvil", "unix", "-", true, "-", "1", "anvil"},
        {"scache", "unix", "-", true, "-", "1", "scache"},
        {"postlog", "unix-dgram", "n", false, "-", "1", "postlogd"},
    };
    auto chroot = [&options](bool stock) { return options.chroot && stock ? "y" : "n"; };
    std::ostringstream out;
    out << "# Written by the mailwarden integration test fixture.\n"
        << "# service type  private unpriv  chroot  wakeup  maxproc command\n";
    for (const auto& s : options.services) {
        if (!s.master_cf.empty()) {
            out << s.master_cf;
            if (s.master_cf.back() != '\n') out << "\n";
            continue;
        }
        out << s.listen << " inet n - " << chroot(true) << " - - smtpd\n";
        for (const auto& o : s.options) {
            auto eq = o.find('=');
            if (eq == std::string::npos) throw std::invalid_argument("smtpd option is not name=value: " + o);
            bool spaces = o.find_first_of(" \t") != std::string::npos;
            // master.cf splits -o arguments at white space unless the { name = value } form is used.
            if (spaces)
                out << "  -o { " << o.substr(0, eq) << " = " << o.substr(eq + 1) << " }\n";
            else
                out << "  -o " << o << "\n";
        }
    }
    for (const auto& r : rows)
        out << r.name << " " << r.type << " " << r.priv << " - " << chroot(r.chroot) << " " << r.wakeup << " "
            << r.maxproc << " " << r.command << "\n";
    for (const auto& line : options.extra_master_cf) out << line << "\n";
    return out.str();
}

}  // namespace mw::itest
