// `mailwarden export postfix`: main.cf, master.cf and the smart-host password map for the current
// rules. Every setting is here for a reason observed on real Postfix (README "Attaching mailwarden to Postfix"); the
// comments printed with it say that reason to the admin who pastes it.
#include "postfix/postfix_export.hpp"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "postfix/postfix_master.hpp"
#include "postfix/postfix_text.hpp"

namespace mw::postfix {

namespace fs = std::filesystem;
using namespace mw::policy;
using postfix_text::comment;
using postfix_text::printable;

PostfixListener postfix_listener(const ListenAddress& address, const fs::path& queue_directory) {
    if (address.kind == ListenAddress::Kind::inet) return {address.str(), false};
    fs::path socket = address.path.lexically_normal();
    fs::path rel = socket.lexically_relative(queue_directory.lexically_normal());
    bool inside = !rel.empty() && rel != "." && *rel.begin() != "..";
    // Relative names work for chrooted and unchrooted services alike: both run in the queue directory.
    if (inside) return {"unix:" + rel.string(), false};
    return {"unix:" + socket.string(), true};
}

namespace {

fs::path absolute_path(const std::string& path) { return fs::absolute(fs::path(path)).lexically_normal(); }

using comment_text::join;

// A listener as Postfix names it, plus the warning when a chrooted service cannot reach it.
std::string listener_warning(const char* section, const PostfixListener& l, const PostfixExportOptions& options) {
    if (!l.outside_queue_directory) return "";
    return comment(std::string("warning: the [") + section + "] socket is outside the queue directory " +
                   options.queue_directory.string() + ": chrooted smtpd, smtp and trivial-rewrite (chroot y in "
                   "master.cf, as Debian ships them) cannot reach it. Move it under the queue directory, or run "
                   "those services with chroot n.");
}

std::string milter_settings(const DaemonConfig& config, const PostfixExportOptions& options) {
    if (!config.milter.active())
        return comment("[milter] is off in mailwarden.toml: no smtpd_milters, so mailwarden judges no SMTP session.");
    auto l = postfix_listener(parse_listen_address(config.milter.listen), options.queue_directory);
    return comment("Every SMTP session is judged by mailwarden's milter. If mailwarden is down, mail is deferred "
                   "(4xx), never accepted unjudged.") +
           listener_warning("milter", l, options) + "smtpd_milters = " + l.name +
           "\nmilter_default_action = tempfail\nmilter_protocol = 6\n";
}

std::string socketmap_settings(const DaemonConfig& config, const PostfixExportOptions& options) {
    if (!config.socketmap.active())
        return comment("[socketmap] is off in mailwarden.toml: Postfix routes and picks outbound TLS by itself; "
                       "the send connectors are not applied.");
    auto l = postfix_listener(parse_listen_address(config.socketmap.listen), options.queue_directory);
    std::string where = l.outside_queue_directory || l.name.rfind("inet:", 0) == 0
                            ? ""
                            : " Socket paths are relative to the queue directory " + options.queue_directory.string() +
                                  ", where the chrooted smtp and trivial-rewrite find them.";
    return comment("Routing and outbound TLS policy come from the send connectors (socketmap tables transport "
                   "and tlspolicy)." + where) +
           listener_warning("socketmap", l, options) + "smtp_tls_policy_maps = socketmap:" + l.name +
           ":tlspolicy\ntransport_maps = socketmap:" + l.name + ":transport\n";
}

std::string relay_settings(const DaemonConfig& config, const PostfixExportOptions& options) {
    std::string out;
    if (config.policy_service.active()) {
        auto l = postfix_listener(parse_listen_address(config.policy_service.listen), options.queue_directory);
        out += comment("Relay control: mailwarden's policy service answers OK only when it grants the recipient "
                       "(an accepted domain, or a session with accept-any-recipient); anything else meets "
                       "reject_unauth_destination. Never shorten this to \"permit\".") +
               listener_warning("policy_service", l, options) +
               "smtpd_relay_restrictions = check_policy_service " + l.name + ", reject_unauth_destination\n";
    } else {
        out += comment("[policy_service] is off in mailwarden.toml: smtpd_relay_restrictions stays Postfix's own, "
                       "so mailwarden's relay grants (accept-any-recipient) and Direct Trust pins do not apply.");
    }
    out += comment("Postfix would itself reroute user%other@ourdomain and bang paths, turning an accepted local "
                   "recipient into relayed mail: off.");
    return out + "allow_percent_hack = no\nswap_bangpath = no\n";
}

constexpr const char* client_certificate_note =
    "Client certificates: the milter sees {cert_subject}/{cert_issuer} (CN only) of verified certificates, "
    "the policy service the SHA-256 fingerprints that Direct Trust pins are compared with (also for "
    "unverified ones). Needs smtpd TLS (smtpd_tls_chain_files, smtpd_tls_security_level = may).";

std::string client_certificate_settings(const Ruleset& rules) {
    std::string out = comment(client_certificate_note) + "smtpd_tls_ask_ccert = yes\nsmtpd_tls_fingerprint_digest = sha256\n";
    if (const std::string* ca_file = rules.domain_security_ca_file()) {
        out += comment("\"Verified\" means verified against this file alone ([domain_security] ca_file): a system CA "
                       "bundle here or in smtpd_tls_CApath would make any public certificate \"verified\". Keep "
                       "tls_append_default_CA = no (the default).");
        out += "smtpd_tls_CAfile = " + postfix_text::literal(absolute_path(*ca_file).string()) + "\nsmtpd_tls_CApath =\n";
    } else {
        out += comment("[domain_security] sets no ca_file, so no partner certificate counts as verified: only Direct "
                       "Trust pins can pass. Leave smtpd_tls_CAfile unset; a system CA bundle there would make any "
                       "public certificate \"verified\".");
    }
    return out;
}

std::string outbound_settings(const Ruleset& rules, const DaemonConfig& config) {
    std::string out;
    std::vector<std::string> dane;
    for (const auto& c : rules.send_connectors)
        if (c.tls == SendTls::dane) dane.push_back(c.name);
    if (!dane.empty())
        out += comment("Send connectors with tls = \"dane\" (" + join(dane) + "): DANE needs DNSSEC-validated answers, "
                       "so /etc/resolv.conf must point at a validating resolver.") +
               "smtp_dns_support_level = dnssec\n";
    const DomainSecurity* ds = rules.domain_security ? &*rules.domain_security : nullptr;
    if (ds && !ds->send.empty()) {
        std::vector<std::string> domains;
        for (const auto& d : ds->send) domains.push_back(d.str());
        out += comment("Domain Security send (" + join(domains) + ") is mutual TLS: partners ask for our client "
                       "certificate. Postfix has one client certificate for every TLS delivery, sent only when a "
                       "server asks: smtp_tls_chain_files = " + config.smtp.tls_key.string() + ", " +
                       config.smtp.tls_cert.string() + " (private key first; the certificate must name our "
                       "domain). The partners' server certificates are verified against smtp_tls_CAfile and "
                       "smtp_tls_CApath: add the partners' CA there when it is not a public one.");
    }
    return out;
}

struct Credential {
    std::string key;  // the next hop as the transport table names it: "[192.0.2.1]:25", "relay.example.net"
    std::string user_password;
    std::string connector;
};

// The first line of the password file, without its line ending.
std::string read_password(const SendConnector& c) {
    fs::path file = absolute_path(c.auth->password_file);
    std::ifstream in(file, std::ios::binary);
    if (!in) throw ExportError("send connector '" + printable(c.name) + "': cannot read password_file " + file.string());
    std::string password;
    std::getline(in, password);
    if (!password.empty() && password.back() == '\r') password.pop_back();
    if (password.empty())
        throw ExportError("send connector '" + printable(c.name) + "': password_file " + file.string() + " is empty");
    for (char ch : password)
        if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f)
            throw ExportError("send connector '" + printable(c.name) + "': password_file " + file.string() +
                              " holds a control character on its first line");
    return password;
}

std::vector<Credential> credentials(const Ruleset& rules) {
    std::vector<Credential> out;
    for (const auto& c : rules.send_connectors) {
        if (!c.auth) continue;
        const std::string& user = c.auth->user;
        // Postfix splits "user:password" at the first colon and the table line at whitespace.
        if (std::any_of(user.begin(), user.end(), [](char ch) {
                return ch == ':' || static_cast<unsigned char>(ch) <= 0x20 || ch == 0x7f;
            }))
            throw ExportError("send connector '" + printable(c.name) + "': auth user '" + printable(user) +
                              "' cannot go into a Postfix password map (colon, space or control character)");
        std::string password = read_password(c);
        for (const auto& h : c.smart_hosts) out.push_back({h.str(), user + ":" + password, c.name});
    }
    return out;
}

std::string sasl_settings(const std::vector<Credential>& creds, const PostfixExportOptions& options) {
    if (creds.empty()) return "";
    std::vector<std::string> connectors;
    for (const auto& c : creds)
        if (std::find(connectors.begin(), connectors.end(), c.connector) == connectors.end())
            connectors.push_back(c.connector);
    return comment("Smart-host credentials (send connectors " + join(connectors) + ") live in Postfix's own "
                   "password map below, never in the socketmap. They are only sent over TLS: these smart hosts' "
                   "TLS policy is encrypt or stronger, and without TLS the noplaintext option refuses the "
                   "plaintext mechanisms. Needs libsasl2-modules.") +
           "smtp_sasl_auth_enable = yes\nsmtp_sasl_password_maps = hash:" + options.sasl_password_map.string() +
           "\nsmtp_sasl_security_options = noplaintext, noanonymous\nsmtp_sasl_tls_security_options = noanonymous\n";
}

std::string sasl_section(const std::vector<Credential>& creds, const PostfixExportOptions& options) {
    std::string map = options.sasl_password_map.string();
    std::string out = "\n# --- " + map + " ---\n" +
                      comment("Smart-host credentials, one line per next hop (from each send connector's auth). "
                              "Then, as root: chmod 600 " + map + " && postmap " + map);
    std::set<std::string> seen;
    for (const auto& c : creds) {
        if (!seen.insert(c.key).second) {
            out += comment("warning: send connector " + c.connector + " also authenticates to " + c.key +
                           "; Postfix keeps one credential per next hop, the first above.");
            continue;
        }
        out += c.key + " " + c.user_password + "\n";
    }
    return out;
}

}  // namespace

std::string export_postfix(const Ruleset& rules, const DaemonConfig& config, const PostfixExportOptions& options) {
    auto creds = credentials(rules);
    std::string out = comment("mailwarden export postfix, for the rules of " + rules.organization.hostname +
                              ". Paste each section into the file it names (replacing settings of the same "
                              "name), then run postfix check and postfix reload. Export again after changing "
                              "receive connectors, smart-host credentials, DANE send connectors, domain "
                              "security or mailwarden.toml; mailwarden picks up every other rule change by "
                              "itself.");
    out += "\n# --- main.cf ---\n";
    out += milter_settings(config, options);
    out += socketmap_settings(config, options);
    out += relay_settings(config, options);
    out += client_certificate_settings(rules);
    if (std::uint64_t size = largest_message_size(rules)) {
        out += comment("cleanup(8) enforces this limit for every service: the largest max_message_size of the "
                       "receive connectors (each smtpd service in master.cf enforces its own). Keep "
                       "mailbox_size_limit and virtual_mailbox_limit at least as large, or 0.");
        out += "message_size_limit = " + std::to_string(size) + "\n";
    }
    out += outbound_settings(rules, config);
    out += sasl_settings(creds, options);
    out += "\n# --- master.cf ---\n";
    out += master_cf_section(rules, {config.milter.active(), config.policy_service.active()});
    if (!creds.empty()) out += sasl_section(creds, options);
    return out;
}

}  // namespace mw::postfix
