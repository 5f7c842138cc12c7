// `mailwarden export sendmail`: the sendmail.mc fragment. Every line is there for a reason observed on
// real Sendmail 8.17 (README "Attaching mailwarden to Sendmail"); the dnl notes printed with it say that reason to the admin
// who pastes it.
#include "sendmail/sendmail_export.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <string_view>

#include "sendmail/sendmail_daemons.hpp"
#include "sendmail/sendmail_outbound.hpp"
#include "sendmail/sendmail_relay.hpp"
#include "sendmail/sendmail_text.hpp"
#include "milter/macro_lists.hpp"

namespace mw::sendmail {

namespace fs = std::filesystem;
using namespace mw::policy;
using sendmail_text::comment;
using sendmail_text::m4_quoted;

std::string sendmail_milter_socket(const ListenAddress& address) {
    if (address.kind == ListenAddress::Kind::unix_socket) return "unix:" + address.path.string();
    bool v6 = address.host.find(':') != std::string::npos;
    return std::string(v6 ? "inet6:" : "inet:") + std::to_string(address.port) + "@" + address.host;
}

std::string sendmail_macro_list(std::string_view space_separated) {
    std::string out;
    std::size_t pos = 0;
    while (pos < space_separated.size()) {
        std::size_t end = space_separated.find(' ', pos);
        if (end == std::string_view::npos) end = space_separated.size();
        if (end > pos) out += (out.empty() ? "" : ", ") + std::string(space_separated.substr(pos, end - pos));
        pos = end + 1;
    }
    return out;
}

namespace {

std::string milter_section(const DaemonConfig& config) {
    if (!config.milter.active())
        return comment("warning: [milter] is off in mailwarden.toml: no INPUT_MAIL_FILTER, so mailwarden enforces "
                       "nothing. It judges no SMTP session: no relay grant or refusal, delivery restriction, "
                       "recipient policy, domain security, inbound TLS requirement or transport rule of yours "
                       "applies, and Sendmail's own rules alone decide (its relay refusal and the access-map lines "
                       "below). Turn [milter] on unless that is what you want.");
    std::string socket = sendmail_text::checked_path(sendmail_milter_socket(parse_listen_address(config.milter.listen)),
                                                     "the [milter] socket");
    std::string out = comment(
        "Every SMTP session is judged by mailwarden's milter. F=T: while mailwarden is unreachable Sendmail "
        "answers 4xx (451 4.3.2 at MAIL), never accepts mail unjudged. T=: connect 30s, sending 10s, reading a "
        "reply 20s, end of message 5m. Sendmail is not chrooted: the socket path is the one mailwarden.toml "
        "gives, and Sendmail's daemon (root, or confRUN_AS_USER when set) must be able to reach it.");
    out += "INPUT_MAIL_FILTER(`mailwarden', `S=" + m4_quoted(socket) + ", F=T, T=C:30s;S:10s;R:20s;E:5m')dnl\n";
    out += comment(
        "The macros mailwarden reads at each stage: Sendmail sends a milter only what these list, and its default "
        "connect list lacks v, by which mailwarden knows it is talking to Sendmail. In double quotes, as Sendmail's "
        "own cf/m4/cfhead.m4 writes them.");
    for (const auto& stage : milter::macro_lists::stages)
        out += "define(`confMILTER_MACROS_" + std::string(stage.sendmail_suffix) + "', `" +
               m4_quoted(sendmail_macro_list(stage.macros)) + "')dnl\n";
    return out;
}

// Directories of system CA certificates (Debian, Fedora/RHEL and their relatives). As
// confCACERT_PATH each would make Sendmail trust public CAs, so a ca_file there is refused by name
// alone, before anything is read.
constexpr std::string_view system_ca_dirs[] = {"/etc/ssl/certs", "/usr/share/ca-certificates",
                                               "/usr/local/share/ca-certificates", "/etc/pki/tls/certs", "/etc/ssl"};

bool is_system_ca_dir(const fs::path& dir) {
    return std::any_of(std::begin(system_ca_dirs), std::end(system_ca_dirs),
                       [&](std::string_view d) { return dir == fs::path(d); });
}

// The names OpenSSL's hash-directory lookup opens: 8 hex digits of the subject hash, '.', 'r' for
// a CRL, a sequence number ("1a2b3c4d.0", "1a2b3c4d.r0"). Only these are ever trusted from a
// CAPath, so a directory without them adds nothing to the CA file.
bool is_hashed_link_name(std::string_view name) {
    auto hex = [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; };
    auto digit = [](char c) { return c >= '0' && c <= '9'; };
    if (name.size() < 10 || !std::all_of(name.begin(), name.begin() + 8, hex) || name[8] != '.') return false;
    std::string_view rest = name.substr(9);
    if (!rest.empty() && rest.front() == 'r') rest.remove_prefix(1);
    return !rest.empty() && std::all_of(rest.begin(), rest.end(), digit);
}

const std::string keep_apart =
    "Keep the partner CA file in a directory of its own, without hashed CA links (for example certs/ in the "
    "rules directory), and point ca_file at it.";

// Sendmail needs a CACertPath to offer STARTTLS at all, and the export names the ca_file's own
// directory; but Sendmail also trusts every CA reachable there by OpenSSL's hash lookup, which would
// make {verify} OK for a public certificate of any host under a partner domain. Refuse such a
// directory rather than export a Domain Security that any public CA can pass.
void check_ca_dir(const fs::path& file) {
    const fs::path dir = file.parent_path();
    const std::string what = "[domain_security] ca_file '" + comment_text::printable(file.string()) + "'";
    if (is_system_ca_dir(dir))
        throw ExportError(what + " is in " + dir.string() + ", a directory of system CAs: Sendmail's "
                          "confCACERT_PATH must be the CA file's directory (without one it offers no STARTTLS), and "
                          "Sendmail trusts every CA there, so any public certificate for a host under a partner "
                          "domain would pass domain security. " + keep_apart);
    std::error_code ec;
    fs::directory_iterator it(dir, ec), end;
    for (; !ec && it != end; it.increment(ec)) {
        std::string name = it->path().filename().string();
        if (is_hashed_link_name(name))
            throw ExportError(what + ": its directory " + comment_text::printable(dir.string()) + " holds " +
                              comment_text::printable(name) + ", a hashed CA link (c_rehash, openssl rehash). "
                              "Sendmail's confCACERT_PATH must be the CA file's directory (without one it offers no "
                              "STARTTLS), and Sendmail trusts every CA linked there, so certificates those CAs signed "
                              "would pass domain security. " + keep_apart);
    }
    if (ec)
        throw ExportError(what + ": cannot read its directory " + comment_text::printable(dir.string()) + " (" +
                          ec.message() + "), which Sendmail would search for hashed CA links (confCACERT_PATH); "
                          "the export must see that it holds none. " + keep_apart);
    // A symbolic link to a system directory (Debian's /usr/lib/ssl/certs is one to /etc/ssl/certs).
    if (fs::path real = fs::canonical(dir, ec); !ec && is_system_ca_dir(real))
        throw ExportError(what + " is in " + comment_text::printable(dir.string()) + ", which is " + real.string() +
                          ", a directory of system CAs: Sendmail would trust every CA there. " + keep_apart);
}

// The file's own directory is the CACertPath, and the fragment must be the last word on both: a
// later define (Debian's starttls.m4 sets confCACERT_PATH to /etc/ssl/certs) would make every
// public CA count as verified. m4wrap text runs once the whole sendmail.mc has been read, so it
// sees the final definitions; GNU m4 1.4 runs it before cf.m4's own m4wrap that includes proto.m4,
// so m4exit then stops before any rule or option is written. Names from the rules never appear in
// it: the definitions are compared with copies taken here. The message is m4-quoted text, so it
// holds no quote characters (an apostrophe would end it).
std::string ca_guard() {
    std::string out = comment(
        "If a define or include after this fragment sets confCACERT or confCACERT_PATH again (Debian's "
        "/etc/mail/tls/starttls.m4 does), the lines below stop m4 with an error instead of building a sendmail.cf "
        "that trusts other CAs.");
    out += "define(`_MAILWARDEN_CACERT_', defn(`confCACERT'))dnl\n";
    out += "define(`_MAILWARDEN_CACERT_PATH_', defn(`confCACERT_PATH'))dnl\n";
    out += "define(`_MAILWARDEN_CA_REDEFINED_', `errprint(`*** ERROR: mailwarden: confCACERT or confCACERT_PATH is "
           "set again after the mailwarden export (as /etc/mail/tls/starttls.m4 on Debian does); paste the export after "
           "every other define and include, just before MAILER_DEFINITIONS and the MAILER lines. Do not "
           "use the sendmail.cf of this run.\n')m4exit(`1')')dnl\n";
    // "()" ends the macro name: the text m4wrap saves next would otherwise run into it.
    out += "m4wrap(`ifelse(defn(`confCACERT'), defn(`_MAILWARDEN_CACERT_'), `ifelse(defn(`confCACERT_PATH'), "
           "defn(`_MAILWARDEN_CACERT_PATH_'), `', `_MAILWARDEN_CA_REDEFINED_()')', `_MAILWARDEN_CA_REDEFINED_()')')dnl\n";
    return out;
}

constexpr const char* certificates_note =
    "Client certificates: Sendmail asks every client for one by default (leave confTLS_SRV_OPTIONS without V; "
    "Debian's starttls.m4 sets it to V, which stops that: remove it there) and hands the milter its full subject "
    "and issuer, {verify} (only OK is verified) and, with SHA-256 fingerprints, {cert_fp}, which Direct Trust "
    "pins are compared with. STARTTLS needs your own certificate: set confSERVER_CERT and confSERVER_KEY.";

std::string certificates_section(const Ruleset& rules) {
    // Sendmail offers STARTTLS only when both CACertFile and CACertPath name something that exists
    // (observed on 8.17: "STARTTLS: CACertPath missing", and no STARTTLS in the EHLO reply).
    const std::string* ca_file = rules.domain_security_ca_file();
    std::string out = comment(certificates_note) + "define(`confCERT_FINGERPRINT_ALGORITHM', `sha256')dnl\n";
    if (ca_file) {
        fs::path file = fs::absolute(fs::path(*ca_file)).lexically_normal();
        std::string path = sendmail_text::checked_path(file.string(), "[domain_security] ca_file");
        std::string dir = sendmail_text::checked_path(file.parent_path().string(),
                                                      "the directory of [domain_security] ca_file");
        check_ca_dir(file);
        out += comment("\"Verified\" ({verify} = OK) means verified against this file ([domain_security] ca_file). "
                       "Sendmail offers STARTTLS only when confCACERT_PATH is set too: it is the file's own "
                       "directory, where Sendmail would also trust every hashed CA link (NAME.0, made by c_rehash "
                       "or openssl rehash); it holds none now, keep it so. Never point either at system CAs such as "
                       "/etc/ssl/certs: every certificate a CA there signed would count as verified.");
        out += "define(`confCACERT', `" + m4_quoted(path) + "')dnl\n";
        out += "define(`confCACERT_PATH', `" + m4_quoted(dir) + "')dnl\n";
        out += ca_guard();
    } else {
        out += comment("[domain_security] sets no ca_file, so no partner certificate counts as verified: only Direct "
                       "Trust pins can pass. Sendmail still offers STARTTLS only when confCACERT and confCACERT_PATH "
                       "name a file and a directory that exist: use your own CA's file and a directory without "
                       "hashed CA links, never system CAs such as /etc/ssl/certs (those would make any public "
                       "certificate \"verified\"; Debian's starttls.m4 sets confCACERT_PATH to it: change it there):");
        out += comment("  define(`confCACERT', `/etc/mail/tls/own-ca.pem')dnl");
        out += comment("  define(`confCACERT_PATH', `/etc/mail/tls')dnl");
    }
    return out;
}

std::string listeners_note(const DaemonConfig& config) {
    std::string out;
    if (config.socketmap.active())
        out += comment("[socketmap] is on in mailwarden.toml, but Sendmail does not use it: its answers are Postfix "
                       "transport and TLS policy syntax. Routes and TLS requirements are the mailertable and access "
                       "lines above; turn [socketmap] off if only Sendmail uses this mailwarden.");
    if (config.policy_service.active())
        out += comment("[policy_service] is on in mailwarden.toml; it is Postfix's (check_policy_service). Sendmail "
                       "hands the milter the certificate fingerprint itself; turn it off if only Sendmail uses this "
                       "mailwarden.");
    return out;
}

}  // namespace

std::string export_sendmail(const Ruleset& rules, const DaemonConfig& config) {
    const std::string separator = "dnl\n";
    std::string out = comment(
        "mailwarden export sendmail, for the rules of " + rules.organization.hostname + ". Paste this into "
        "sendmail.mc after every other define and include and before MAILER_DEFINITIONS and the MAILER lines: in "
        "Debian's sendmail.mc, after the line include(`/etc/mail/tls/starttls.m4')dnl. A later define wins, and "
        "that file sets confCACERT and confCACERT_PATH (/etc/ssl/certs) itself: after this fragment it would make "
        "every public CA count as verified for domain security. Then build sendmail.cf (m4 sendmail.mc > "
        "sendmail.cf, or Debian's sendmailconfig) and restart Sendmail. Indented dnl lines are for other files, "
        "as the note above them says. Export again after changing receive connectors, accepted "
        "domains, relay grants, send connectors, TLS requirements, domain security or mailwarden.toml; mailwarden "
        "picks up every other rule change by itself.");
    out += comment(
        "Names and paths from the rules are quoted twice (`...' inside `...'): m4 reads these lines once more when "
        "it writes sendmail.cf, and a name such as dnl would otherwise be taken for an m4 macro. Keep the inner "
        "quotes.");
    out += separator + sendmail_daemons_section(rules);
    out += separator + sendmail_auth_section(rules);
    out += separator + milter_section(config);
    out += separator + certificates_section(rules);
    out += separator + sendmail_relay_section(rules);
    out += separator + sendmail_outbound_section(rules, config);
    if (std::string note = listeners_note(config); !note.empty()) out += separator + note;
    return out;
}

}  // namespace mw::sendmail
