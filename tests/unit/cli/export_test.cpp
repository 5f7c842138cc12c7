// End-to-end: the real `mailwarden export postfix` and `export sendmail` on the shipped rules and on
// rule sets using every feature the exports translate; the shipped contrib snippets must equal the
// export; and, where Postfix or Sendmail's cf files are installed, Postfix itself must accept every
// line (no "unused parameter") and Sendmail's m4 must build the sendmail.cf lines meant.
#define BOOST_TEST_MODULE export
#include <boost/test/unit_test.hpp>

#include <pwd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "test_support.hpp"

using mw::test::run_mailwarden;
using mw::test::TempDir;
namespace fs = std::filesystem;

namespace {

const std::string source_dir = MW_SOURCE_DIR;
const std::string shipped_rules = source_dir + "/rules";
const std::string contrib = source_dir + "/contrib/postfix";
const char* const postconf = "/usr/sbin/postconf";
const std::string sasl_marker = "/etc/postfix/mailwarden_sasl_passwd";

// Exercises what the shipped rules do not: a CA file, smart-host credentials, DANE, the any-address
// port 25 service, and a connector without daemon_name.
const char* const full_rules = R"(
[organization]
hostname = "mx.corp.test"

[[accepted_domain]]
domain = "corp.test"
type = "authoritative"

[[receive_connector]]
name = "Internet"
bind = ["0.0.0.0:25", "[::]:25"]
daemon_name = "internet"
permission_groups = ["anonymous", "partners"]
max_message_size = "50MB"

[[receive_connector]]
name = "Legacy submission"
bind = ["192.0.2.10:2526"]
auth = ["basic"]
permission_groups = ["users"]
max_message_size = "10MB"

[domain_security]
receive = ["partner.test"]
send = ["partner.test"]
ca_file = "certs/partners.pem"

[[send_connector]]
name = "Internet"
address_spaces = ["*"]
tls = "dane"

[[send_connector]]
name = "Relay"
address_spaces = ["relay-only.test"]
smart_hosts = ["[192.0.2.25]:587", "relay.test"]
tls = "encryption-only"
auth = { user = "mw@corp.test", password_file = "secrets/relay.pass" }
)";
const std::string full_password = "s3cr$t pass";

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// The export split at its "# --- NAME ---" lines: NAME -> that line and the lines up to the next
// marker, without trailing blank lines (the form of the contrib snippets). "" is the introduction.
std::map<std::string, std::string> sections(const std::string& out) {
    std::map<std::string, std::string> result;
    std::string name, line;
    std::istringstream in(out);
    while (std::getline(in, line)) {
        if (line.rfind("# --- ", 0) == 0 && line.size() > 10 && line.compare(line.size() - 4, 4, " ---") == 0)
            name = line.substr(6, line.size() - 10);
        result[name] += line + "\n";
    }
    for (auto& [n, text] : result)
        while (text.size() >= 2 && text.compare(text.size() - 2, 2, "\n\n") == 0) text.pop_back();
    return result;
}

bool contains(const std::string& haystack, const std::string& needle) { return haystack.find(needle) != std::string::npos; }

// Comments are word-wrapped: their text with the line breaks taken out, to look for a phrase.
std::string unwrapped(std::string text) {
    for (std::size_t p; (p = text.find("\n# ")) != std::string::npos;) text.replace(p, 3, " ");
    return text;
}

struct Shell {
    int status = -1;
    std::string out;  // stdout and stderr
};
Shell shell(const std::string& command) {
    Shell r;
    FILE* p = ::popen((command + " 2>&1").c_str(), "r");
    if (!p) return r;
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
    int status = ::pclose(p);
    r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
}

std::string quoted(const fs::path& p) { return "'" + p.string() + "'"; }

// "NAME TYPE" of every service a master.cf text defines.
std::set<std::string> services_in(const std::string& master) {
    std::set<std::string> out;
    std::istringstream in(master);
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#' || std::isspace(static_cast<unsigned char>(line[0]))) continue;
        std::istringstream words(line);
        std::string name, type;
        words >> name >> type;
        out.insert(name + " " + type);
    }
    return out;
}

// The stock master.cf with the services the export redefines taken out (their entry line and its
// continuation lines), as the admin pasting it does: master(8) warns about duplicate entries.
std::string without_services(const std::string& stock, const std::set<std::string>& services) {
    std::string out, line;
    std::istringstream in(stock);
    bool dropping = false;
    while (std::getline(in, line)) {
        if (line.empty()) continue;
        if (line[0] == '#') {
            dropping = false;
        } else if (!std::isspace(static_cast<unsigned char>(line[0]))) {
            auto defined = services_in(line);
            dropping = !defined.empty() && services.count(*defined.begin()) != 0;
        }
        if (!dropping) out += line + "\n";
    }
    return out;
}

struct Fixture {
    TempDir dir{"export"};
    std::string state = (dir.path() / "state").string();

    mw::test::RunResult run(std::vector<std::string> args) {
        std::vector<std::string> all = {"export"};
        all.insert(all.end(), args.begin(), args.end());
        all.insert(all.end(), {"--state-dir", state});
        return run_mailwarden(all);
    }
    std::string export_ok(const std::string& rules, std::vector<std::string> more = {}) {
        std::vector<std::string> args = {"postfix", "--rules", rules};
        args.insert(args.end(), more.begin(), more.end());
        auto r = run(args);
        BOOST_TEST_REQUIRE(r.status == 0, "export exited " << r.status << ": " << r.err);
        return r.out;
    }
    fs::path full_rules_dir() {
        dir.write("full/rules.toml", full_rules);
        dir.write("full/certs/partners.pem", "-----BEGIN CERTIFICATE-----\n");
        dir.write("full/secrets/relay.pass", full_password + "\n");
        return dir.path() / "full";
    }

    // A scratch Postfix configuration: Debian's stock master.cf when installed, a private queue and
    // data directory (postfix check creates directories there, never in the system's), plus the
    // exported sections. Returns postconf's complaints, or "" when it accepts everything.
    std::string postfix_complaints(const std::string& exported) {
        fs::path conf = dir.path() / "postfix";
        fs::create_directories(conf / "queue");
        fs::create_directories(conf / "data");
        auto parts = sections(exported);
        std::string stock = fs::exists("/etc/postfix/master.cf") ? read_file("/etc/postfix/master.cf")
                                                                  : "smtp inet n - y - - smtpd\n";
        dir.write("postfix/main.cf", "compatibility_level = 3.6\nmyhostname = mx.example.com\nmydestination =\n"
                                     "inet_protocols = all\nqueue_directory = " + (conf / "queue").string() +
                                         "\ndata_directory = " + (conf / "data").string() + "\n" + parts["main.cf"]);
        dir.write("postfix/master.cf", without_services(stock, services_in(parts["master.cf"])) + parts["master.cf"]);
        std::string complaints;
        auto listed = shell(std::string(postconf) + " -c " + quoted(conf) + " -M");
        if (services_in(listed.out).size() != services_in(read_file(conf / "master.cf")).size() ||
            std::count(listed.out.begin(), listed.out.end(), '\n') != static_cast<long>(services_in(listed.out).size()))
            complaints += "master.cf defines a service twice:\n" + listed.out;
        for (const char* flag : {"-n", "-M", "-P"}) {
            auto r = shell(std::string(postconf) + " -c " + quoted(conf) + " " + flag);
            if (r.status != 0 || contains(r.out, "warning") || contains(r.out, "fatal"))
                complaints += std::string("postconf ") + flag + ":\n" + r.out;
        }
        // `postfix check` also opens every table and checks the queue; it needs root and a postfix user.
        const passwd* pw = ::getpwnam("postfix");
        if (::geteuid() == 0 && pw && fs::exists("/usr/sbin/postfix")) {
            [[maybe_unused]] int rc = ::chown((conf / "data").c_str(), pw->pw_uid, pw->pw_gid);
            auto r = shell("/usr/sbin/postfix -c " + quoted(conf) + " check");
            if (r.status != 0 || contains(r.out, "warning") || contains(r.out, "fatal"))
                complaints += "postfix check:\n" + r.out;
        } else {
            BOOST_TEST_MESSAGE("postfix check skipped: needs root and a postfix user");
        }
        return complaints;
    }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(export_postfix, Fixture)

BOOST_AUTO_TEST_CASE(shipped_rules_main_cf) {
    auto main_cf = sections(export_ok(shipped_rules))["main.cf"];
    for (const char* line : {
             "smtpd_milters = unix:mailwarden/milter.sock\n",
             "milter_default_action = tempfail\n",
             "milter_protocol = 6\n",
             "smtp_tls_policy_maps = socketmap:unix:mailwarden/socketmap.sock:tlspolicy\n",
             "transport_maps = socketmap:unix:mailwarden/socketmap.sock:transport\n",
             "smtpd_relay_restrictions = check_policy_service unix:mailwarden/policy.sock, reject_unauth_destination\n",
             "allow_percent_hack = no\n",
             "swap_bangpath = no\n",
             "smtpd_tls_ask_ccert = yes\n",
             "smtpd_tls_fingerprint_digest = sha256\n",
             "message_size_limit = 35000000\n",
         })
        BOOST_TEST(contains(main_cf, line), "main.cf lacks " << line << main_cf);
    // No ca_file in the shipped rules: the CA file stays unset, with the reason.
    BOOST_TEST(!contains(main_cf, "\nsmtpd_tls_CAfile"));
    BOOST_TEST(contains(unwrapped(main_cf), "sets no ca_file"));
    BOOST_TEST(!contains(main_cf, "smtp_dns_support_level"));  // no dane connector
    BOOST_TEST(!contains(main_cf, "smtp_sasl"));               // no smart-host credentials
    BOOST_TEST(contains(main_cf, "smtp_tls_chain_files"));     // domain security send: the client certificate
}

BOOST_AUTO_TEST_CASE(shipped_rules_master_cf) {
    auto parts = sections(export_ok(shipped_rules));
    const auto& master = parts["master.cf"];
    BOOST_TEST(contains(master, "\n127.0.0.1:2525 inet n - y - - smtpd\n"
                                "  -o milter_macro_daemon_name=internet\n"
                                "  -o smtpd_policy_service_policy_context=internet\n"
                                "  -o message_size_limit=35000000\n"),
               master);
    BOOST_TEST(contains(master, "\n[::1]:2525 inet n - y - - smtpd\n"));
    BOOST_TEST(contains(master, "\n127.0.0.1:2587 inet n - y - - smtpd\n"
                                "  -o milter_macro_daemon_name=submission\n"
                                "  -o smtpd_policy_service_policy_context=submission\n"
                                "  -o message_size_limit=35000000\n"
                                "  -o smtpd_tls_security_level=encrypt\n"
                                "  -o smtpd_sasl_auth_enable=yes\n"
                                "  -o smtpd_tls_auth_only=yes\n"),
               master);
    // "Internet" and "Internal relay" share 127.0.0.1:2525: one service.
    BOOST_TEST(contains(master, "Receive connectors Internet, Internal relay (bind 127.0.0.1:2525)"));
    std::size_t services = 0;
    for (std::size_t p = master.find(" inet n - y - - smtpd\n"); p != std::string::npos;
         p = master.find(" inet n - y - - smtpd\n", p + 1))
        ++services;
    BOOST_TEST(services == 4u);
    BOOST_TEST(parts.count(sasl_marker) == 0u);
}

BOOST_AUTO_TEST_CASE(contrib_snippets_are_the_export_of_the_shipped_rules) {
    auto parts = sections(export_ok(shipped_rules, {"--config", contrib + "/mailwarden.toml"}));
    BOOST_TEST(parts["main.cf"] == read_file(contrib + "/main.cf.snippet"),
               "contrib/postfix/main.cf.snippet is stale: regenerate it with `mailwarden export postfix --config "
               "contrib/postfix/mailwarden.toml --rules rules`");
    BOOST_TEST(parts["master.cf"] == read_file(contrib + "/master.cf.snippet"),
               "contrib/postfix/master.cf.snippet is stale: regenerate it with `mailwarden export postfix --config "
               "contrib/postfix/mailwarden.toml --rules rules`");
}

BOOST_AUTO_TEST_CASE(full_rules) {
    fs::path rules = full_rules_dir();
    auto out = export_ok(rules.string());
    auto parts = sections(out);
    const auto& main_cf = parts["main.cf"];
    const auto& master = parts["master.cf"];
    BOOST_TEST(contains(main_cf, "\nsmtpd_tls_CAfile = " + (rules / "certs/partners.pem").string() + "\n"), main_cf);
    BOOST_TEST(contains(main_cf, "\nsmtpd_tls_CApath =\n"));
    BOOST_TEST(contains(unwrapped(main_cf), "system CA bundle"));
    BOOST_TEST(contains(main_cf, "\nsmtp_dns_support_level = dnssec\n"));
    BOOST_TEST(contains(main_cf, "\nsmtp_sasl_auth_enable = yes\n"));
    BOOST_TEST(contains(main_cf, "\nsmtp_sasl_password_maps = hash:/etc/postfix/mailwarden_sasl_passwd\n"));
    BOOST_TEST(contains(main_cf, "\nsmtp_sasl_tls_security_options = noanonymous\n"));
    BOOST_TEST(contains(unwrapped(main_cf), "only sent over TLS"));
    BOOST_TEST(contains(main_cf, "\nmessage_size_limit = 50000000\n"));
    // 0.0.0.0:25 and [::]:25 are the one stock "smtp" service.
    BOOST_TEST(contains(master, "\nsmtp inet n - y - - smtpd\n  -o milter_macro_daemon_name=internet\n"), master);
    BOOST_TEST(contains(master, "(bind 0.0.0.0:25, [::]:25)"));
    BOOST_TEST(contains(master, "Replaces the stock"));
    // No daemon_name: a name from the connector, and the milter matches by address and port.
    BOOST_TEST(contains(master, "\n192.0.2.10:2526 inet n - y - - smtpd\n"
                                "  -o milter_macro_daemon_name=legacy-submission\n"
                                "  -o smtpd_policy_service_policy_context=legacy-submission\n"
                                "  -o message_size_limit=10000000\n"
                                "  -o smtpd_sasl_auth_enable=yes\n"),
               master);
    BOOST_TEST(contains(unwrapped(master), "match by the daemon address and port"));
    BOOST_TEST(!contains(master, "smtpd_tls_auth_only"));  // plain "basic" allows AUTH before STARTTLS
    // Credentials: one line per smart host, in the password map's section only.
    BOOST_TEST_REQUIRE(parts.count(sasl_marker) == 1u, out);
    const auto& sasl = parts[sasl_marker];
    BOOST_TEST(contains(sasl, "\n[192.0.2.25]:587 mw@corp.test:" + full_password + "\n"), sasl);
    BOOST_TEST(contains(sasl, "\nrelay.test mw@corp.test:" + full_password + "\n"), sasl);
    for (const auto& [name, text] : parts)
        if (name != sasl_marker) BOOST_TEST(!contains(text, "s3cr"), "password in section '" << name << "'");
}

BOOST_AUTO_TEST_CASE(postfix_accepts_every_line) {
    if (!fs::exists(postconf)) {
        BOOST_TEST_MESSAGE("SKIPPED: " << postconf << " is not installed; Postfix did not check the export");
        return;
    }
    std::string full = export_ok(full_rules_dir().string());
    BOOST_TEST(postfix_complaints(export_ok(shipped_rules)) == "");
    BOOST_TEST(postfix_complaints(full) == "");
}

BOOST_AUTO_TEST_CASE(postconf_catches_a_bad_parameter) {
    // The check above is only worth something if postconf complains about a parameter it does not know.
    if (!fs::exists(postconf)) {
        BOOST_TEST_MESSAGE("SKIPPED: " << postconf << " is not installed");
        return;
    }
    std::string out = export_ok(shipped_rules);
    out.replace(out.find("swap_bangpath"), 13, "swap_bangpaht");
    BOOST_TEST(contains(postfix_complaints(out), "unused parameter: swap_bangpaht"));
}

BOOST_AUTO_TEST_CASE(bad_rules_exit_1_with_locations) {
    dir.write("bad/rules.toml", "[organization]\nhostname = \"mx.example.com\"\nbogus = 1\n");
    auto r = run({"postfix", "--rules", (dir.path() / "bad").string()});
    BOOST_TEST(r.status == 1);
    BOOST_TEST(contains(r.err, "rules.toml:3:1: error: unknown key 'bogus'"), r.err);
    BOOST_TEST(r.out == "");
}

BOOST_AUTO_TEST_CASE(bad_config_exits_1_with_location) {
    auto config = dir.write("bad.toml", "[milter]\nlisten = \"unix:relative.sock\"\n");
    auto r = run({"postfix", "--rules", shipped_rules, "--config", config.string()});
    BOOST_TEST(r.status == 1);
    BOOST_TEST(contains(r.err, "bad.toml:2:10: error:"), r.err);
}

BOOST_AUTO_TEST_CASE(unreadable_password_exits_1) {
    fs::path rules = full_rules_dir();
    dir.write("full/secrets/relay.pass", "");
    auto r = run({"postfix", "--rules", rules.string()});
    BOOST_TEST(r.status == 1);
    BOOST_TEST(contains(r.err, "relay.pass is empty"), r.err);
    BOOST_TEST(r.out == "");
}

BOOST_AUTO_TEST_CASE(usage_errors_exit_2) {
    auto none = run({});
    BOOST_TEST(none.status == 2);
    BOOST_TEST(contains(none.err, "valid targets: postfix, sendmail"), none.err);
    auto exim = run({"exim", "--rules", shipped_rules});
    BOOST_TEST(exim.status == 2);
    BOOST_TEST(contains(exim.err, "unknown target 'exim'; valid targets: postfix, sendmail"), exim.err);
    BOOST_TEST(run({"postfix", "--rules", shipped_rules, "--bogus"}).status == 2);
    BOOST_TEST(run({"postfix", "--rules", shipped_rules, "--queue-directory", "spool"}).status == 2);
    BOOST_TEST(run({"postfix", "extra", "--rules", shipped_rules}).status == 2);
}

BOOST_AUTO_TEST_CASE(queue_directory_decides_the_socket_names) {
    auto main_cf = sections(export_ok(shipped_rules, {"--queue-directory", "/var/spool/postfix-out"}))["main.cf"];
    BOOST_TEST(contains(main_cf, "smtpd_milters = unix:/var/spool/postfix/mailwarden/milter.sock\n"));
    BOOST_TEST(contains(unwrapped(main_cf), "warning: the [milter] socket is outside the queue directory /var/spool/postfix-out"));
}

BOOST_AUTO_TEST_SUITE_END()

// --- export sendmail -----------------------------------------------------------------------------

namespace {

const std::string sendmail_contrib = source_dir + "/contrib/sendmail";
const char* const sendmail_cf_dir = "/usr/share/sendmail/cf";

// Values m4 would take for its own macros if the export did not quote them twice: a daemon named
// "dnl", an accepted domain "divert.test" (a dnl note now, which m4 discards unread), a CA file
// under "include/".
const char* const m4_hostile_rules = R"(
[organization]
hostname = "mx.corp.test"

[[accepted_domain]]
domain = "divert.test"
type = "authoritative"

[[receive_connector]]
name = "Internet"
bind = ["*:25"]
daemon_name = "dnl"
permission_groups = ["anonymous", "partners"]

[[receive_connector]]
name = "Submission"
bind = ["127.0.0.1:587", "[::1]:587"]
daemon_name = "MTA-v4"
auth = ["basic-require-tls"]
permission_groups = ["users"]

[domain_security]
receive = ["partner.test"]
ca_file = "include/partners.pem"
)";

}  // namespace

BOOST_FIXTURE_TEST_SUITE(export_sendmail, Fixture)

BOOST_AUTO_TEST_CASE(shipped_rules_fragment) {
    auto r = run({"sendmail", "--rules", shipped_rules});
    BOOST_TEST_REQUIRE(r.status == 0, r.err);
    for (const char* line : {
             "\nFEATURE(`no_default_msa')dnl\n",
             "\nDAEMON_OPTIONS(`Family=inet, Name=`internet', Port=2525, Addr=127.0.0.1, M=A')dnl\n",
             "\nDAEMON_OPTIONS(`Family=inet6, Name=`internet', Port=2525, Addr=::1, M=A')dnl\n",
             "\nDAEMON_OPTIONS(`Family=inet, Name=`submission', Port=2587, Addr=127.0.0.1')dnl\n",
             "\nINPUT_MAIL_FILTER(`mailwarden', `S=`unix:/var/spool/postfix/mailwarden/milter.sock', F=T, "
             "T=C:30s;S:10s;R:20s;E:5m')dnl\n",
             "\ndefine(`confAUTH_OPTIONS', `A p y')dnl\n",
             "\ndnl   To:example.com RELAY\n",
             "\ndnl   Connect:10.20 RELAY\n",
             "\ndnl   branch.example.com esmtp:[127.0.0.20]\n",
             "\ndnl   TLS_Rcpt:partner.example VERIFY:128\n",
         })
        BOOST_TEST(contains(r.out, line), "lacks " << line << r.out);
    for (const char* feature : {"promiscuous_relay", "relay_entire_domain", "loose_relay_check", "relay_local_from",
                                "relay_mail_from", "relay_based_on_MX"})
        BOOST_TEST(!contains(r.out, feature), feature);
    // Class R would also let every client named under an accepted domain relay anywhere.
    BOOST_TEST(!contains(r.out, "RELAY_DOMAIN"));
}

BOOST_AUTO_TEST_CASE(contrib_snippet_is_the_export_of_the_shipped_rules) {
    auto r = run({"sendmail", "--rules", shipped_rules, "--config", sendmail_contrib + "/mailwarden.toml"});
    BOOST_TEST_REQUIRE(r.status == 0, r.err);
    BOOST_TEST(contains(r.out, "S=`unix:/run/mailwarden/milter.sock'"));
    BOOST_TEST(r.out == read_file(sendmail_contrib + "/sendmail.mc.snippet"),
               "contrib/sendmail/sendmail.mc.snippet is stale: regenerate it with `mailwarden export sendmail "
               "--config contrib/sendmail/mailwarden.toml --rules rules > contrib/sendmail/sendmail.mc.snippet`");
}

BOOST_AUTO_TEST_CASE(bad_rules_exit_1) {
    dir.write("bad/rules.toml", "[organization]\nhostname = \"mx.example.com\"\nbogus = 1\n");
    auto r = run({"sendmail", "--rules", (dir.path() / "bad").string()});
    BOOST_TEST(r.status == 1);
    BOOST_TEST(contains(r.err, "rules.toml:3:1: error: unknown key 'bogus'"), r.err);
    BOOST_TEST(r.out == "");
}

BOOST_AUTO_TEST_CASE(a_name_sendmail_cannot_carry_exits_1) {
    dir.write("spaced/rules.toml", "[organization]\nhostname = \"mx.example.com\"\n[[receive_connector]]\n"
                                   "name = \"In\"\nbind = [\"127.0.0.1:25\"]\ndaemon_name = \"in bound\"\n");
    auto r = run({"sendmail", "--rules", (dir.path() / "spaced").string()});
    BOOST_TEST(r.status == 1);
    BOOST_TEST(contains(r.err, "mailwarden export: receive connector 'In': daemon_name 'in bound' cannot be a "
                               "Sendmail daemon name"),
               r.err);
    BOOST_TEST(r.out == "");
}

BOOST_AUTO_TEST_CASE(postfix_options_are_refused) {
    BOOST_TEST(run({"sendmail", "--rules", shipped_rules, "--queue-directory", "/var/spool/postfix"}).status == 2);
}

// True, after saying why, when Sendmail's cf files or m4 are missing: a skip, except under
// MW_REQUIRE_SENDMAIL=1 (./scripts/test, which installs them), where it is a failure.
static bool sendmail_cf_missing() {
    if (fs::exists(std::string(sendmail_cf_dir) + "/m4/cf.m4") && shell("command -v m4").status == 0) return false;
    const char* required = std::getenv("MW_REQUIRE_SENDMAIL");
    if (required && std::string(required) == "1")
        BOOST_ERROR("Sendmail's cf files (sendmail-cf) or m4 are not installed");
    else
        BOOST_TEST_MESSAGE("SKIPPED: Sendmail's cf files (sendmail-cf) or m4 are not installed");
    return true;
}

BOOST_AUTO_TEST_CASE(sendmail_m4_builds_the_lines_meant) {
    if (sendmail_cf_missing()) return;
    dir.write("hostile/rules.toml", m4_hostile_rules);
    dir.write("hostile/include/partners.pem", "-----BEGIN CERTIFICATE-----\n");
    for (const auto& rules : {std::string(shipped_rules), (dir.path() / "hostile").string()}) {
        auto r = run({"sendmail", "--rules", rules});
        BOOST_TEST_REQUIRE(r.status == 0, r.err);
        // A sendmail.mc as Debian's, with the export pasted after OSTYPE and before MAILER.
        auto mc = dir.write("sendmail.mc", "divert(-1)\ndivert(0)dnl\ninclude(`" + std::string(sendmail_cf_dir) +
                                               "/m4/cf.m4')dnl\nOSTYPE(`linux')dnl\n" + r.out +
                                               "MAILER(`local')dnl\nMAILER(`smtp')dnl\n");
        // In a subshell: shell() sends stderr to stdout after the command, which would be sendmail.cf.
        auto built = shell("(m4 " + quoted(mc) + " 2>" + quoted(dir.path() / "m4.err") + " >" +
                           quoted(dir.path() / "sendmail.cf") + ")");
        BOOST_TEST(built.status == 0);
        BOOST_TEST(read_file(dir.path() / "m4.err") == "");
        std::string cf = read_file(dir.path() / "sendmail.cf");
        BOOST_TEST(contains(cf, "\nO InputMailFilters=mailwarden\n"), cf);
        BOOST_TEST(contains(cf, "\nO Milter.macros.connect=j, v, _, {daemon_name}, {daemon_addr}, {daemon_port}, "
                                "{client_addr}, {client_port}, {client_name}\n"));
        BOOST_TEST(contains(cf, "\nO Milter.macros.eoh=i\n"));
        BOOST_TEST(contains(cf, "\nO CertFingerprintAlgorithm=sha256\n"));
        BOOST_TEST(!contains(cf, "Name=MSA"));  // no_default_msa
        std::istringstream lines(cf);  // every m4 quote was consumed (Sendmail's own comments keep some)
        for (std::string line; std::getline(lines, line);)
            if (!line.empty() && line[0] != '#') BOOST_TEST(!contains(line, "`"), line);
        if (rules == shipped_rules) {
            BOOST_TEST(contains(cf, "\nO DaemonPortOptions=Family=inet, Name=internet, Port=2525, Addr=127.0.0.1, M=A\n"), cf);
            BOOST_TEST(contains(cf, "\nXmailwarden, S=unix:/var/spool/postfix/mailwarden/milter.sock, F=T, "
                                    "T=C:30s;S:10s;R:20s;E:5m\n"));
            BOOST_TEST(!contains(cf, "\nC{R}"));  // relaying to the accepted domains: access-map To: lines
            BOOST_TEST(contains(cf, "\nC{TrustAuthMech}PLAIN LOGIN\n"));
            BOOST_TEST(contains(cf, "\nO AuthOptions=A p y\n"));
        } else {
            BOOST_TEST(contains(cf, "\nO DaemonPortOptions=Family=inet, Name=dnl, Port=25, M=A\n"), cf);
            BOOST_TEST(contains(cf, "\nO DaemonPortOptions=Family=inet6, Name=dnl, Port=25, M=AO\n"));
            BOOST_TEST(contains(cf, "\nO DaemonPortOptions=Family=inet6, Name=MTA-v4, Port=587, Addr=::1\n"));
            BOOST_TEST(!contains(cf, "\nC{R}"));
            BOOST_TEST(contains(cf, "\nO CACertFile=" + (dir.path() / "hostile/include/partners.pem").string() + "\n"));
            BOOST_TEST(contains(cf, "\nO CACertPath=" + (dir.path() / "hostile/include").string() + "\n"));
        }
    }
}

BOOST_AUTO_TEST_CASE(a_ca_directory_with_hashed_links_exits_1) {
    fs::path rules = full_rules_dir();
    fs::create_symlink("partners.pem", rules / "certs/1a2b3c4d.0");  // as c_rehash leaves it
    auto r = run({"sendmail", "--rules", rules.string()});
    BOOST_TEST(r.status == 1);
    BOOST_TEST(contains(r.err, "mailwarden export: [domain_security] ca_file '" + (rules / "certs/partners.pem").string() +
                                   "': its directory " + (rules / "certs").string() + " holds 1a2b3c4d.0, a hashed CA link"),
               r.err);
    BOOST_TEST(contains(r.err, "Keep the partner CA file in a directory of its own, without hashed CA links"), r.err);
    BOOST_TEST(r.out == "");
}

BOOST_AUTO_TEST_CASE(debian_starttls_include_comes_before_the_export) {
    // Debian's sendmail.mc enables STARTTLS with include(`/etc/mail/tls/starttls.m4'), which sets
    // confCACERT_PATH to /etc/ssl/certs and confCACERT itself. Pasted after it, the export's CA
    // settings hold; pasted before it, m4 must fail instead of silently trusting every public CA.
    if (sendmail_cf_missing()) return;
    fs::path rules = full_rules_dir();
    auto r = run({"sendmail", "--rules", rules.string()});
    BOOST_TEST_REQUIRE(r.status == 0, r.err);
    // As Debian's update_tlsm4 writes it (its defaults).
    auto starttls = dir.write("tls/starttls.m4",
                              "divert(-1)dnl\ndivert(0)dnl\n"
                              "define(`confTO_STARTTLS',     `2m')dnl   # <= EDIT\n"
                              "define(`confCACERT_PATH',     `/etc/ssl/certs')dnl   # <= EDIT\n"
                              "define(`confCACERT',           `/etc/mail/tls/sendmail-server.crt')dnl   # <= EDIT\n"
                              "define(`confSERVER_CERT',     `/etc/mail/tls/sendmail-server.crt')dnl   # <= EDIT\n"
                              "define(`confSERVER_KEY',      `/etc/mail/tls/sendmail-common.key')dnl   # <= EDIT\n");
    const std::string include = "include(`" + starttls.string() + "')dnl\n";
    auto build = [&](const std::string& name, const std::string& middle) {
        auto mc = dir.write(name + ".mc", "divert(-1)dnl\ndivert(0)dnl\ninclude(`" + std::string(sendmail_cf_dir) +
                                              "/m4/cf.m4')dnl\nOSTYPE(`linux')dnl\nFEATURE(`access_db')dnl\n" +
                                              middle + "MAILER_DEFINITIONS\nMAILER(`local')dnl\nMAILER(`smtp')dnl\n");
        auto built = shell("(m4 " + quoted(mc) + " 2>" + quoted(dir.path() / (name + ".err")) + " >" +
                           quoted(dir.path() / (name + ".cf")) + ")");
        return std::pair{built.status, read_file(dir.path() / (name + ".err"))};
    };
    const std::string ca_file = "\nO CACertFile=" + (rules / "certs/partners.pem").string() + "\n";
    const std::string ca_path = "\nO CACertPath=" + (rules / "certs").string() + "\n";

    auto [status, err] = build("after", include + r.out);
    BOOST_TEST(status == 0);
    BOOST_TEST(err == "");
    std::string cf = read_file(dir.path() / "after.cf");
    BOOST_TEST(contains(cf, ca_file), cf);
    BOOST_TEST(contains(cf, ca_path));
    BOOST_TEST(!contains(cf, "/etc/ssl/certs"));
    BOOST_TEST(contains(cf, "\nO ServerCertFile=/etc/mail/tls/sendmail-server.crt\n"));  // the include still counts

    auto [bad_status, bad_err] = build("before", r.out + include);
    BOOST_TEST(bad_status != 0);
    BOOST_TEST(contains(bad_err, "*** ERROR: mailwarden: confCACERT or confCACERT_PATH is set again after the "
                                 "mailwarden export (as /etc/mail/tls/starttls.m4 on Debian does); paste the export "
                                 "after every other define and include, just before MAILER_DEFINITIONS and the "
                                 "MAILER lines. Do not use the sendmail.cf of this run.\n"),
               bad_err);
    // GNU m4 1.4 runs the guard's m4wrap before cf.m4's (LIFO), so no option was written at all.
    std::string bad_cf = read_file(dir.path() / "before.cf");
    BOOST_TEST(!contains(bad_cf, "\nO CACertPath="), bad_cf);
    BOOST_TEST(!contains(bad_cf, "\nO CACertFile="));

    // Without the guard (the check above is only worth something if the include really overrides).
    std::string unguarded;
    std::istringstream lines(r.out);
    for (std::string l; std::getline(lines, l);)
        if (l.rfind("m4wrap(", 0) != 0) unguarded += l + "\n";
    auto [plain_status, plain_err] = build("unguarded", unguarded + include);
    BOOST_TEST(plain_status == 0);
    BOOST_TEST(contains(read_file(dir.path() / "unguarded.cf"), "\nO CACertPath=/etc/ssl/certs\n"));
}

BOOST_AUTO_TEST_CASE(m4_check_catches_an_unquoted_name) {
    // The check above is only worth something if an unquoted m4 word really breaks sendmail.cf.
    if (sendmail_cf_missing()) return;
    auto mc = dir.write("bad.mc", "divert(-1)\ndivert(0)dnl\ninclude(`" + std::string(sendmail_cf_dir) +
                                      "/m4/cf.m4')dnl\nOSTYPE(`linux')dnl\n"
                                      "DAEMON_OPTIONS(`Family=inet, Name=dnl, Port=25')dnl\nMAILER(`smtp')dnl\n");
    auto built = shell("m4 " + quoted(mc) + " 2>/dev/null");
    BOOST_TEST(!contains(built.out, "\nO DaemonPortOptions=Family=inet, Name=dnl, Port=25\n"));
}

BOOST_AUTO_TEST_SUITE_END()
