// The Sendmail export generator without the binary: daemons from binds and names, IPv6 and the
// any-address pair, AUTH, the milter socket and its macro lists (the milter's own), client
// certificates, relaying (never opened by a FEATURE), access-map keys, outbound lines, and names or
// paths Sendmail cannot carry.
#define BOOST_TEST_MODULE sendmail_export
#include <boost/test/unit_test.hpp>

#include <sstream>

#include "sendmail/sendmail_export.hpp"
#include "sendmail/sendmail_relay.hpp"
#include "milter/macro_lists.hpp"
#include "test_support.hpp"

using namespace mw;
using namespace mw::sendmail;
using mw::test::load_ok;
using mw::test::TempDir;

namespace {

bool contains(const std::string& haystack, const std::string& needle) { return haystack.find(needle) != std::string::npos; }

// Comments are word-wrapped: their text with the line breaks taken out, to look for a phrase.
std::string unwrapped(std::string text) {
    for (std::size_t p; (p = text.find("\ndnl ")) != std::string::npos;) text.replace(p, 5, " ");
    return text;
}

const std::string org = "[organization]\nhostname = \"mx.corp.test\"\n";

std::string connector(const std::string& name, const std::string& bind, const std::string& extra = "") {
    return "[[receive_connector]]\nname = \"" + name + "\"\nbind = [" + bind + "]\n" + extra + "\n";
}

std::string exported(const std::string& toml, const DaemonConfig& config = {}) {
    TempDir dir("smexport");
    return export_sendmail(*load_ok(dir, org + toml), config);
}

void refused(const std::string& toml, const std::string& message, const DaemonConfig& config = {}) {
    TempDir dir("smexport");
    auto rules = load_ok(dir, org + toml);
    try {
        export_sendmail(*rules, config);
        BOOST_ERROR("no ExportError for: " << toml);
    } catch (const ExportError& e) {
        BOOST_TEST(contains(e.what(), message), e.what());
    }
}

mw::IpNetwork network(const std::string& text) { return *mw::parse_network(text).network; }

std::string keys(const std::string& text) {
    std::string out;
    for (const auto& k : sendmail_connect_keys(network(text)).keys) out += (out.empty() ? "" : " ") + k;
    return out;
}

// Every FEATURE that would let Sendmail relay what it otherwise refuses. (relay_hosts_only is not
// one: it narrows class R and To: lookups to exact names, and the relay notes name it.)
const char* const relay_opening[] = {"promiscuous_relay", "relay_entire_domain", "loose_relay_check",
                                     "relay_local_from",  "relay_mail_from",     "relay_based_on_MX"};

// The lines m4 does not discard: everything but dnl notes.
std::vector<std::string> m4_lines(const std::string& out) {
    std::vector<std::string> lines;
    std::istringstream in(out);
    for (std::string l; std::getline(in, l);)
        if (l.rfind("dnl", 0) != 0) lines.push_back(l);
    return lines;
}

// The rules with another ca_file: the loader insists the file exists, the export must not.
mw::policy::Ruleset with_ca_file(const mw::policy::Ruleset& rules, const std::string& ca_file) {
    mw::policy::Ruleset copy = rules;
    copy.domain_security->ca_file = ca_file;
    return copy;
}

void ca_refused(const mw::policy::Ruleset& rules, const std::string& message) {
    try {
        export_sendmail(rules, {});
        BOOST_ERROR("no ExportError for ca_file " << rules.domain_security->ca_file);
    } catch (const ExportError& e) {
        BOOST_TEST(contains(e.what(), message), e.what());
        BOOST_TEST(contains(e.what(), "Keep the partner CA file in a directory of its own, without hashed CA links"),
                   e.what());
    }
}

const std::string partner_ca = "[domain_security]\nreceive = [\"partner.test\"]\nca_file = \"certs/partners.pem\"\n";

}  // namespace

BOOST_AUTO_TEST_CASE(one_daemon_per_binding_named_by_daemon_name) {
    auto out = exported(connector("Internet", "\"127.0.0.1:2525\", \"[::1]:2525\"", "daemon_name = \"internet\""));
    BOOST_TEST(contains(out, "\nFEATURE(`no_default_msa')dnl\n"), out);
    BOOST_TEST(contains(out, "\nDAEMON_OPTIONS(`Family=inet, Name=`internet', Port=2525, Addr=127.0.0.1, M=A')dnl\n"), out);
    // IPv6: Family=inet6 and the address without brackets.
    BOOST_TEST(contains(out, "\nDAEMON_OPTIONS(`Family=inet6, Name=`internet', Port=2525, Addr=::1, M=A')dnl\n"), out);
    // (The notes name Debian's include of starttls.m4; m4 itself sees no include.)
    for (const auto& l : m4_lines(out)) BOOST_TEST(!contains(l, "include("), l);
    BOOST_TEST(!contains(out, "OSTYPE("));
    BOOST_TEST(!contains(out, "MAILER("));
}

BOOST_AUTO_TEST_CASE(connectors_sharing_a_binding_share_a_daemon) {
    auto out = exported(connector("A", "\"127.0.0.1:2525\"", "daemon_name = \"a\"") +
                        connector("B", "\"127.0.0.1:2525\"", "daemon_name = \"a\"\nremote = [\"10.0.0.0/8\"]"));
    BOOST_TEST(contains(out, "Receive connectors A, B (bind 127.0.0.1:2525), daemon_name a."), out);
    std::size_t n = 0;
    for (std::size_t p = out.find("\nDAEMON_OPTIONS("); p != std::string::npos; p = out.find("\nDAEMON_OPTIONS(", p + 1)) ++n;
    BOOST_TEST(n == 1u);
    auto two = exported(connector("A", "\"127.0.0.1:2525\"", "daemon_name = \"a\"") +
                        connector("B", "\"127.0.0.1:2525\"", "daemon_name = \"b\""));
    BOOST_TEST(contains(two, "Name=`a'"));
    BOOST_TEST(!contains(two, "Name=`b'"));
    BOOST_TEST(contains(unwrapped(two), "warning: connectors A, B share this binding with different daemon_names"), two);
}

BOOST_AUTO_TEST_CASE(any_address_on_both_families_makes_the_inet6_daemon_optional) {
    // Sendmail sets no IPV6_V6ONLY: the inet6 daemon comes second and may fail to bind (M=O).
    for (const char* bind : {"\"*:25\"", "\"[::]:25\", \"0.0.0.0:25\"", "\"0.0.0.0:25\", \"[::]:25\""}) {
        auto out = exported(connector("Internet", bind, "daemon_name = \"internet\""));
        std::string v4 = "DAEMON_OPTIONS(`Family=inet, Name=`internet', Port=25, M=A')dnl\n";
        std::string v6 = "DAEMON_OPTIONS(`Family=inet6, Name=`internet', Port=25, M=AO')dnl\n";
        BOOST_TEST_REQUIRE(contains(out, v4), bind << "\n" << out);
        BOOST_TEST_REQUIRE(contains(out, v6), bind << "\n" << out);
        BOOST_TEST(out.find(v4) < out.find(v6), bind);
        BOOST_TEST(contains(unwrapped(out), "net.ipv6.bindv6only"));
    }
    // One family alone listens on every address of it, without Addr and not optional.
    auto v6only = exported(connector("Internet", "\"[::]:25\"", "daemon_name = \"internet\""));
    BOOST_TEST(contains(v6only, "DAEMON_OPTIONS(`Family=inet6, Name=`internet', Port=25, M=A')dnl\n"), v6only);
}

BOOST_AUTO_TEST_CASE(a_specific_address_beside_the_any_address_warns) {
    auto out = exported(connector("A", "\"0.0.0.0:25\"", "daemon_name = \"a\"") +
                        connector("B", "\"127.0.0.1:25\"", "daemon_name = \"b\""));
    BOOST_TEST(contains(unwrapped(out), "warning: daemons inet *:25 and 127.0.0.1:25 both listen on port 25"), out);
}

BOOST_AUTO_TEST_CASE(auth_only_where_a_connector_offers_basic) {
    auto out = exported(connector("Internet", "\"127.0.0.1:25\"", "daemon_name = \"internet\"\nauth = [\"tls\"]") +
                        connector("Client", "\"127.0.0.1:587\"",
                                  "daemon_name = \"submission\"\nauth = [\"basic-require-tls\"]\n"
                                  "permission_groups = [\"users\"]"));
    BOOST_TEST(contains(out, "Name=`internet', Port=25, Addr=127.0.0.1, M=A')dnl\n"), out);
    BOOST_TEST(contains(out, "Name=`submission', Port=587, Addr=127.0.0.1')dnl\n"), out);
    BOOST_TEST(contains(out, "\nTRUST_AUTH_MECH(`PLAIN LOGIN')dnl\n"));
    BOOST_TEST(contains(out, "\ndefine(`confAUTH_MECHANISMS', `PLAIN LOGIN')dnl\n"));
    BOOST_TEST(contains(out, "\ndefine(`confAUTH_OPTIONS', `A p y')dnl\n"));
    BOOST_TEST(contains(unwrapped(out), "Cyrus SASL"));

    // Plain basic somewhere: Sendmail's AuthOptions are global, so no p.
    auto plain = exported(connector("Legacy", "\"127.0.0.1:2526\"", "daemon_name = \"legacy\"\nauth = [\"basic\"]\n"
                                                                    "permission_groups = [\"users\"]"));
    BOOST_TEST(contains(plain, "\ndefine(`confAUTH_OPTIONS', `A y')dnl\n"), plain);
    BOOST_TEST(!contains(plain, "`A p y'"));

    auto none = exported(connector("Internet", "\"127.0.0.1:25\"", "daemon_name = \"internet\""));
    BOOST_TEST(!contains(none, "TRUST_AUTH_MECH"));
    BOOST_TEST(!contains(none, "confAUTH_"));
}

BOOST_AUTO_TEST_CASE(connectors_without_daemon_name_get_a_name_no_connector_has) {
    auto out = exported(connector("Other", "\"127.0.0.1:2526\"", "daemon_name = \"internet\"") +
                        connector("Internet", "\"127.0.0.1:2525\""));
    BOOST_TEST(contains(out, "DAEMON_OPTIONS(`Family=inet, Name=`internet-2', Port=2525, Addr=127.0.0.1, M=A')dnl\n"), out);
    BOOST_TEST(contains(unwrapped(out), "matches by the daemon address and port against bind"));
    auto unnamed = exported(connector("A", "\"127.0.0.1:2525\"", "daemon_name = \"a\"") + connector("B", "\"127.0.0.1:2525\""));
    BOOST_TEST(contains(unwrapped(unnamed), "warning: B has no daemon_name"), unnamed);
    auto nobind = exported("[[receive_connector]]\nname = \"Elsewhere\"\ndaemon_name = \"other\"\n");
    BOOST_TEST(contains(unwrapped(nobind), "Receive connector Elsewhere has no bind: give the daemon it should judge Name=other."),
               nobind);
}

BOOST_AUTO_TEST_CASE(names_sendmail_cannot_carry_are_refused) {
    for (const char* name : {"in bound", "a,b", "a=b", "a'b", "a`b", "a\\\"b", "a$b", "a#b", "a\\nb", "a(b"})
        refused(connector("A", "\"127.0.0.1:2525\"", std::string("daemon_name = \"") + name + "\""),
                "cannot be a Sendmail daemon name");
    // Refused even where the name would not be printed: the connector could never be reached by it.
    refused(connector("A", "\"127.0.0.1:2525\"", "daemon_name = \"a\"") +
                connector("B", "\"127.0.0.1:2525\"", "daemon_name = \"b b\""),
            "receive connector 'B': daemon_name 'b b'");
    // What is allowed.
    auto ok = exported(connector("A", "\"127.0.0.1:2525\"", "daemon_name = \"MTA-v4.in_2+x\""));
    BOOST_TEST(contains(ok, "Name=`MTA-v4.in_2+x'"), ok);
}

BOOST_AUTO_TEST_CASE(milter_socket_in_sendmail_syntax) {
    BOOST_TEST(sendmail_milter_socket(parse_listen_address("unix:/run/mailwarden/milter.sock")) ==
               "unix:/run/mailwarden/milter.sock");
    BOOST_TEST(sendmail_milter_socket(parse_listen_address("inet:127.0.0.1:8891")) == "inet:8891@127.0.0.1");
    BOOST_TEST(sendmail_milter_socket(parse_listen_address("inet:[::1]:8891")) == "inet6:8891@::1");

    const std::string rules = connector("A", "\"127.0.0.1:2525\"", "daemon_name = \"a\"");
    for (auto [listen, socket] : {std::pair{"unix:/run/mailwarden/milter.sock", "unix:/run/mailwarden/milter.sock"},
                                  {"inet:127.0.0.1:8891", "inet:8891@127.0.0.1"},
                                  {"inet:[::1]:8891", "inet6:8891@::1"}}) {
        DaemonConfig config;
        config.milter.listen = listen;
        auto out = exported(rules, config);
        // F=T: tempfail while mailwarden is unreachable, never accept unfiltered.
        BOOST_TEST(contains(out, std::string("\nINPUT_MAIL_FILTER(`mailwarden', `S=`") + socket +
                                     "', F=T, T=C:30s;S:10s;R:20s;E:5m')dnl\n"),
                   out);
    }
    DaemonConfig spaced;
    spaced.milter.listen = "unix:/run/mail warden/milter.sock";
    refused(rules, "the [milter] socket", spaced);
}

BOOST_AUTO_TEST_CASE(milter_off_is_a_warning) {
    DaemonConfig off;
    off.milter.enabled = false;
    auto out = exported(connector("A", "\"127.0.0.1:2525\"", "daemon_name = \"a\""), off);
    BOOST_TEST(!contains(out, "\nINPUT_MAIL_FILTER("));
    BOOST_TEST(!contains(out, "confMILTER_MACROS"));
    BOOST_TEST(contains(out, "dnl warning: [milter] is off in mailwarden.toml"), out);
    // Not an error, but it must not read as if mailwarden still guarded anything.
    BOOST_TEST(contains(unwrapped(out), "so mailwarden enforces nothing. It judges no SMTP session"), out);
    BOOST_TEST(contains(unwrapped(out), "Sendmail's own rules alone decide"));
}

BOOST_AUTO_TEST_CASE(macro_lists_are_the_milters_own) {
    BOOST_TEST(sendmail_macro_list("a {b} c") == "a, {b}, c");
    BOOST_TEST(sendmail_macro_list("i") == "i");
    BOOST_TEST(sendmail_macro_list("") == "");
    auto out = exported(connector("A", "\"127.0.0.1:2525\"", "daemon_name = \"a\""));
    std::size_t n = 0;
    for (const auto& stage : mw::milter::macro_lists::stages) {
        std::string expected = std::string("\ndefine(`confMILTER_MACROS_") + stage.sendmail_suffix + "', ``" +
                               sendmail_macro_list(stage.macros) + "'')dnl\n";
        BOOST_TEST(contains(out, expected), expected << out);
        ++n;
    }
    BOOST_TEST(n == 6u);  // CONNECT HELO ENVFROM ENVRCPT EOH EOM
    // v: how mailwarden recognizes Sendmail; Sendmail's default connect list lacks it.
    BOOST_TEST(contains(out, "define(`confMILTER_MACROS_CONNECT', ``j, v, _, {daemon_name}, "), out);
    BOOST_TEST(contains(std::string(" ") + mw::milter::macro_lists::connect + " ", " v "));
}

BOOST_AUTO_TEST_CASE(client_certificates) {
    TempDir dir("smexport");
    dir.write("rules/certs/partners.pem", "-----BEGIN CERTIFICATE-----\n");
    auto rules = load_ok(dir, org + connector("A", "\"127.0.0.1:2525\"", "daemon_name = \"a\"") +
                                  "[domain_security]\nreceive = [\"partner.test\"]\nca_file = \"certs/partners.pem\"\n");
    auto out = export_sendmail(*rules, {});
    std::string ca = (dir.path() / "rules/certs/partners.pem").lexically_normal().string();
    BOOST_TEST(std::filesystem::path(ca).is_absolute());
    BOOST_TEST(contains(out, "\ndefine(`confCACERT', ``" + ca + "'')dnl\n"), out);
    BOOST_TEST(contains(out, "\ndefine(`confCERT_FINGERPRINT_ALGORITHM', `sha256')dnl\n"));
    // Sendmail offers STARTTLS only with a CACertPath too: the CA file's own directory, never a
    // directory of system CAs; never a verify-all server option.
    std::string ca_dir = (dir.path() / "rules/certs").lexically_normal().string();
    BOOST_TEST(contains(out, "\ndefine(`confCACERT_PATH', ``" + ca_dir + "'')dnl\n"), out);
    BOOST_TEST(!contains(out, "define(`confTLS_SRV_OPTIONS'"));
    BOOST_TEST(contains(unwrapped(out), "confSERVER_CERT and confSERVER_KEY"));
    // The guard: after the defines, a check m4 runs once it has read the whole sendmail.mc.
    BOOST_TEST(out.find("define(`confCACERT_PATH'") < out.find("\ndefine(`_MAILWARDEN_CACERT_', defn(`confCACERT'))dnl\n"));
    BOOST_TEST(contains(out, "\ndefine(`_MAILWARDEN_CACERT_PATH_', defn(`confCACERT_PATH'))dnl\n"));
    BOOST_TEST(contains(out, "\nm4wrap(`ifelse(defn(`confCACERT'), defn(`_MAILWARDEN_CACERT_'), "));
    BOOST_TEST(contains(out, "m4exit(`1')"));

    auto without = exported(connector("A", "\"127.0.0.1:2525\"", "daemon_name = \"a\""));
    BOOST_TEST(!contains(without, "\ndefine(`confCACERT'"));
    BOOST_TEST(!contains(without, "\ndefine(`confCACERT_PATH'"));
    BOOST_TEST(contains(unwrapped(without), "offers STARTTLS only when confCACERT and confCACERT_PATH"), without);
    BOOST_TEST(contains(without, "\ndefine(`confCERT_FINGERPRINT_ALGORITHM', `sha256')dnl\n"));
    BOOST_TEST(contains(unwrapped(without), "sets no ca_file"));
    BOOST_TEST(!contains(without, "m4wrap"));  // nothing of ours to guard
}

BOOST_AUTO_TEST_CASE(a_ca_directory_with_hashed_links_is_refused) {
    // Sendmail would trust every CA OpenSSL's hash lookup finds in confCACERT_PATH, the CA file's
    // directory: a link to a public CA there makes its certificates pass domain security.
    for (const char* name : {"1a2b3c4d.0", "1A2B3C4D.1", "deadbeef.r0", "0000ffff.12"}) {
        for (bool symlink : {false, true}) {
            TempDir dir("smexport");
            dir.write("rules/certs/partners.pem", "-----BEGIN CERTIFICATE-----\n");
            auto link = dir.path() / "rules/certs" / name;
            if (symlink) std::filesystem::create_symlink("/etc/ssl/certs/some-public-ca.pem", link);  // dangling is enough
            else dir.write(std::string("rules/certs/") + name, "-----BEGIN CERTIFICATE-----\n");
            auto rules = load_ok(dir, org + partner_ca);
            ca_refused(*rules, std::string("holds ") + name + ", a hashed CA link");
        }
    }
    // Names OpenSSL's lookup never opens are harmless.
    TempDir dir("smexport");
    dir.write("rules/certs/partners.pem", "-----BEGIN CERTIFICATE-----\n");
    for (const char* name : {"1a2b3c4d.pem", "1a2b3c4.0", "1a2b3c4dd.0", "1a2b3c4g.0", "1a2b3c4d.", "1a2b3c4d.r",
                             "1a2b3c4d.0.bak", "README"})
        dir.write(std::string("rules/certs/") + name, "x\n");
    auto out = export_sendmail(*load_ok(dir, org + partner_ca), {});
    BOOST_TEST(contains(out, "\ndefine(`confCACERT_PATH', ``" + (dir.path() / "rules/certs").string() + "'')dnl\n"), out);
}

BOOST_AUTO_TEST_CASE(a_ca_file_among_the_system_cas_is_refused_by_its_path) {
    TempDir dir("smexport");
    dir.write("rules/certs/partners.pem", "-----BEGIN CERTIFICATE-----\n");
    auto rules = load_ok(dir, org + partner_ca);
    // Decided on the lexically normal path before anything is read: these need not exist.
    for (const char* path : {"/etc/ssl/certs/partners.pem", "/etc/ssl/certs/../certs/./partners.pem",
                             "/etc/ssl/partners.pem", "/usr/share/ca-certificates/partners.crt",
                             "/usr/local/share/ca-certificates/partners.crt", "/etc/pki/tls/certs/partners.pem",
                             "/etc/ssl//certs/mailwarden-partners-does-not-exist.pem"})
        ca_refused(with_ca_file(*rules, path), "a directory of system CAs");
    // A directory of its own below them is another directory (here one that cannot be read).
    ca_refused(with_ca_file(*rules, "/etc/ssl/certs/mailwarden-partners-does-not-exist/partners.pem"),
               "cannot read its directory");
}

BOOST_AUTO_TEST_CASE(an_unreadable_ca_directory_is_refused) {
    TempDir dir("smexport");
    dir.write("rules/certs/partners.pem", "-----BEGIN CERTIFICATE-----\n");
    auto rules = load_ok(dir, org + partner_ca);
    ca_refused(with_ca_file(*rules, (dir.path() / "gone/partners.pem").string()), "cannot read its directory");
}

BOOST_AUTO_TEST_CASE(a_ca_file_path_m4_cannot_carry_is_refused) {
    TempDir dir("smexport");
    dir.write("rules/my certs/partners.pem", "-----BEGIN CERTIFICATE-----\n");
    auto rules = load_ok(dir, org + "[domain_security]\nreceive = [\"partner.test\"]\nca_file = \"my certs/partners.pem\"\n");
    BOOST_CHECK_THROW(export_sendmail(*rules, {}), ExportError);
}

BOOST_AUTO_TEST_CASE(accepted_domains_are_access_map_to_entries) {
    auto out = exported("[[accepted_domain]]\ndomain = \"corp.test\"\ntype = \"authoritative\"\n"
                        "[[accepted_domain]]\ndomain = \"*.branch.test\"\ntype = \"internal-relay\"\n"
                        "[[accepted_domain]]\ndomain = \"branch.test\"\ntype = \"internal-relay\"\n");
    BOOST_TEST(contains(out, "\ndnl   To:corp.test RELAY\n"), out);
    BOOST_TEST(contains(out, "\ndnl   To:branch.test RELAY\n"));
    // "*.branch.test" and "branch.test" are one entry.
    BOOST_TEST(out.find("To:branch.test RELAY") == out.rfind("To:branch.test RELAY"));
    // Class R would also let clients named under the domains relay anywhere: never exported.
    BOOST_TEST(!contains(out, "RELAY_DOMAIN"), out);
    BOOST_TEST(!contains(out, "C{R}"));
    for (const auto& l : m4_lines(out)) BOOST_TEST(!contains(l, "RELAY"), l);
    auto notes = unwrapped(out);
    BOOST_TEST(contains(notes, "for /etc/mail/access (FEATURE(`access_db')); then run makemap hash"), out);
    BOOST_TEST(contains(notes, "To:D RELAY lets Sendmail take mail addressed to D from any client, and nothing more"));
    BOOST_TEST(contains(notes, "lets every client whose host name is under it relay anywhere"));
    // proto.m4: D walks up the parent domains; relay_hosts_only looks up the exact name;
    // a ".D" key only with lookupdotdomain.
    BOOST_TEST(contains(notes, "each line also covers D's subdomains"));
    BOOST_TEST(contains(notes, "with FEATURE(`relay_hosts_only') it looks up the recipient's domain alone"));
    BOOST_TEST(contains(notes, "*.branch.test is written To:D without \"*.\": Sendmail then also relays to D itself"));
    BOOST_TEST(contains(notes, "a key To:.D (subdomains only) matches only with FEATURE(`lookupdotdomain')"));

    auto exact = exported("[[accepted_domain]]\ndomain = \"corp.test\"\ntype = \"authoritative\"\n");
    BOOST_TEST(!contains(unwrapped(exact), "without \"*.\""), exact);
    auto none = exported("");
    BOOST_TEST(!contains(none, "dnl   To:"), none);
    BOOST_TEST(contains(none, "No accepted domains: no access-map To: entries."));
}

BOOST_AUTO_TEST_CASE(no_feature_ever_opens_relaying) {
    const std::string open_connectors[] = {
        // Relaying for everybody: never an open relay in Sendmail's terms.
        connector("Open", "\"0.0.0.0:25\"", "daemon_name = \"open\"\ngrant = [\"accept-any-recipient\"]"),
        // Servers by address (external-authoritative).
        connector("Servers", "\"127.0.0.1:2525\"", "daemon_name = \"servers\"\nauth = [\"external-authoritative\"]\n"
                                                   "remote = [\"10.0.0.0/8\"]\npermission_groups = [\"servers\"]"),
        // Authenticated users relay.
        connector("Client", "\"127.0.0.1:587\"", "daemon_name = \"client\"\nauth = [\"basic\"]\npermission_groups = [\"users\"]"),
        "[[accepted_domain]]\ndomain = \"*.corp.test\"\ntype = \"external-relay\"\n",
    };
    for (const auto& rules : open_connectors) {
        auto out = exported(rules);
        for (const char* feature : relay_opening) BOOST_TEST(!contains(out, feature), feature << " in\n" << out);
        BOOST_TEST(!contains(out, "RELAY_DOMAIN"), out);
        // The only FEATURE m4 sees is no_default_msa.
        for (const auto& l : m4_lines(out))
            if (contains(l, "FEATURE(")) BOOST_TEST(l == "FEATURE(`no_default_msa')dnl");
    }
    auto open = exported(open_connectors[0]);
    BOOST_TEST(!contains(open, "Connect:"), open);
    BOOST_TEST(contains(unwrapped(open), "warning: Open (0.0.0.0/0), Open (::/0) grants relaying to every address"), open);
}

BOOST_AUTO_TEST_CASE(relaying_by_address_becomes_access_map_notes) {
    auto out = exported(connector("Apps", "\"127.0.0.1:2525\"",
                                  "daemon_name = \"apps\"\nremote = [\"127.0.0.10/32\", \"10.20.0.0/16\", \"2001:db8:5::/48\"]\n"
                                  "permission_groups = [\"anonymous\"]\ngrant = [\"accept-any-recipient\"]"));
    BOOST_TEST(contains(out, "\ndnl   Connect:127.0.0.10 RELAY\n"), out);
    BOOST_TEST(contains(out, "\ndnl   Connect:10.20 RELAY\n"));
    BOOST_TEST(contains(out, "\ndnl   Connect:IPv6:2001:db8:5 RELAY\n"));
    BOOST_TEST(contains(unwrapped(out), "Apps (127.0.0.10/32, 10.20.0.0/16, 2001:db8:5::/48) grant accept-any-recipient"));

    auto servers = exported(connector("Servers", "\"127.0.0.1:2525\"",
                                      "daemon_name = \"servers\"\nauth = [\"external-authoritative\"]\n"
                                      "remote = [\"192.0.2.0/24\"]\npermission_groups = [\"servers\"]"));
    BOOST_TEST(contains(servers, "\ndnl   Connect:192.0.2 RELAY\n"), servers);

    // Without submit nothing relays; anonymous alone has no accept-any-recipient; deny wins.
    for (const char* extra : {"permission_groups = [\"anonymous\"]",
                              "permission_groups = [\"partners\"]\ngrant = [\"accept-any-recipient\"]",
                              "permission_groups = [\"anonymous\"]\ngrant = [\"accept-any-recipient\"]\n"
                              "deny = [\"accept-any-recipient\"]"}) {
        auto none = exported(connector("Inbound", "\"127.0.0.1:2525\"",
                                       std::string("daemon_name = \"in\"\nremote = [\"10.0.0.0/8\"]\n") + extra));
        BOOST_TEST(!contains(none, "Connect:"), extra << "\n" << none);
    }
}

BOOST_AUTO_TEST_CASE(access_map_keys_follow_octets_and_groups) {
    BOOST_TEST(keys("10.20.0.0/16") == "10.20");
    BOOST_TEST(keys("10.0.0.0/8") == "10");
    BOOST_TEST(keys("192.0.2.7/32") == "192.0.2.7");
    BOOST_TEST(keys("10.20.0.0/23") == "10.20.0 10.20.1");
    BOOST_TEST(sendmail_connect_keys(network("10.20.0.0/16")).note == "");
    auto partial = sendmail_connect_keys(network("10.20.0.0/20"));
    BOOST_TEST(partial.keys.size() == 16u);
    BOOST_TEST(partial.keys.back() == "10.20.15");
    BOOST_TEST(contains(partial.note, "whole octets"), partial.note);
    auto wide = sendmail_connect_keys(network("10.0.0.0/9"));
    BOOST_TEST(wide.keys.empty());
    BOOST_TEST(contains(wide.note, "128 entries 10.0 to 10.127, not written out here"), wide.note);
    BOOST_TEST(sendmail_connect_keys(network("0.0.0.0/0")).keys.empty());
    // Sendmail (IPV6_FULL) writes client addresses uncompressed, without leading zeros.
    BOOST_TEST(keys("2001:db8:5::/48") == "IPv6:2001:db8:5");
    BOOST_TEST(keys("2001:db8::/32") == "IPv6:2001:db8");
    BOOST_TEST(keys("2001:db8::1/128") == "IPv6:2001:db8:0:0:0:0:0:1");
    BOOST_TEST(keys("2001:db8:a0::/44") == "IPv6:2001:db8:a0 IPv6:2001:db8:a1 IPv6:2001:db8:a2 IPv6:2001:db8:a3 "
                                           "IPv6:2001:db8:a4 IPv6:2001:db8:a5 IPv6:2001:db8:a6 IPv6:2001:db8:a7 "
                                           "IPv6:2001:db8:a8 IPv6:2001:db8:a9 IPv6:2001:db8:aa IPv6:2001:db8:ab "
                                           "IPv6:2001:db8:ac IPv6:2001:db8:ad IPv6:2001:db8:ae IPv6:2001:db8:af");
    BOOST_TEST(contains(sendmail_connect_keys(network("2001:db8::/33")).note, "whole 16-bit groups"));
}

BOOST_AUTO_TEST_CASE(outbound_routes_and_tls_requirements) {
    auto out = exported("[[tls_required]]\ndomain = \"bank.test\"\ndirection = \"both\"\nlevel = \"encrypt\"\n"
                        "[[tls_required]]\ndomain = \"*.verify.test\"\ndirection = \"send\"\nlevel = \"verify\"\n"
                        "[[tls_required]]\ndomain = \"inbound.test\"\ndirection = \"receive\"\nlevel = \"verify\"\n"
                        "[domain_security]\nsend = [\"partner.test\"]\n"
                        "[[send_connector]]\nname = \"Internet\"\naddress_spaces = [\"*\"]\n"
                        "[[send_connector]]\nname = \"Relay\"\naddress_spaces = [\"relay.test\", \"*.sub.test\"]\n"
                        "smart_hosts = [\"[192.0.2.25]:587\", \"relay2.test\"]\ntls = \"encryption-only\"\n"
                        "[[send_connector]]\nname = \"V6\"\naddress_spaces = [\"v6.test\"]\nsmart_hosts = [\"[2001:db8::25]\"]\n"
                        "tls = \"certificate-validation\"\n");
    BOOST_TEST(contains(out, "\ndnl   relay.test esmtp:[192.0.2.25]\n"), out);
    BOOST_TEST(contains(out, "\ndnl   .sub.test esmtp:[192.0.2.25]\n"));
    BOOST_TEST(contains(out, "\ndnl   v6.test esmtp:[IPv6:2001:db8::25]\n"));
    BOOST_TEST(!contains(out, "dnl   . esmtp"));  // "*" is routed by MX
    BOOST_TEST(contains(unwrapped(out), "uses port 587 of [192.0.2.25]:587, which a mailertable entry cannot carry"));
    BOOST_TEST(contains(out, "\ndnl   TLS_Rcpt:bank.test ENCR:128\n"));
    BOOST_TEST(contains(out, "\ndnl   TLS_Rcpt:verify.test VERIFY:128\n"));
    BOOST_TEST(contains(out, "\ndnl   TLS_Rcpt:partner.test VERIFY:128\n"));
    BOOST_TEST(contains(out, "\ndnl   TLS_Rcpt:relay.test ENCR:128\n"));
    BOOST_TEST(contains(out, "\ndnl   TLS_Rcpt:v6.test VERIFY:128\n"));
    BOOST_TEST(!contains(out, "TLS_Rcpt:inbound.test"));  // receive only
    BOOST_TEST(contains(unwrapped(out), "confCLIENT_CERT"));
    // Everything for other files is a dnl line: nothing here reaches sendmail.cf.
    BOOST_TEST(!contains(out, "\nTLS_Rcpt"));
    BOOST_TEST(!contains(out, "\nConnect:"));
    BOOST_TEST(!contains(out, "\nTo:"));
}

// [[tls_required]] floors: the cipher strength is ENCR's number; a TLS version has no per-domain form.
// A send connector's port off 25 on MX routing needs a mailer of its own.
BOOST_AUTO_TEST_CASE(outbound_tls_floors_and_connector_port) {
    auto out = exported("[[tls_required]]\ndomain = \"strong.test\"\ndirection = \"send\"\nlevel = \"verify\"\n"
                        "min_cipher_bits = 256\nmin_tls_version = \"TLSv1.2\"\n"
                        "[[tls_required]]\ndomain = \"plain.test\"\ndirection = \"send\"\nlevel = \"encrypt\"\n"
                        "min_cipher_bits = 112\n"
                        "[[send_connector]]\nname = \"Internet\"\naddress_spaces = [\"*\"]\n"
                        "[[send_connector]]\nname = \"ISP\"\naddress_spaces = [\"isp.test\"]\nport = 2525\n");
    BOOST_TEST(contains(out, "\ndnl   TLS_Rcpt:strong.test VERIFY:256\n"), out);
    BOOST_TEST(contains(out, "\ndnl   TLS_Rcpt:plain.test ENCR:128\n"), out);  // never below Sendmail's 128
    BOOST_TEST(contains(unwrapped(out), "tls_required strong.test (TLSv1.2) requires a TLS version"), out);
    BOOST_TEST(contains(unwrapped(out), "confCLIENT_SSL_OPTIONS"), out);
    BOOST_TEST(contains(unwrapped(out), "delivers isp.test by MX on port 2525, which a mailertable entry cannot carry"),
               out);
}

BOOST_AUTO_TEST_CASE(a_smart_host_catch_all_keeps_more_specific_mx_routes) {
    auto out = exported("[[send_connector]]\nname = \"Smart\"\naddress_spaces = [\"*\"]\nsmart_hosts = [\"relay.test\"]\n"
                        "[[send_connector]]\nname = \"Direct\"\naddress_spaces = [\"direct.test\", \"*.many.test\"]\n");
    BOOST_TEST(contains(out, "\ndnl   . esmtp:relay.test\n"), out);
    BOOST_TEST(contains(out, "\ndnl   direct.test esmtp:direct.test\n"));
    BOOST_TEST(contains(unwrapped(out), "warning: send connector Direct routes *.many.test by MX"));
    // The lowest cost wins among connectors with the same address space.
    auto cost = exported("[[send_connector]]\nname = \"Dear\"\naddress_spaces = [\"x.test\"]\ncost = 20\n"
                         "smart_hosts = [\"[192.0.2.1]\"]\n"
                         "[[send_connector]]\nname = \"Cheap\"\naddress_spaces = [\"x.test\"]\ncost = 5\n"
                         "smart_hosts = [\"[192.0.2.2]\"]\n");
    BOOST_TEST(contains(cost, "\ndnl   x.test esmtp:[192.0.2.2]\n"), cost);
    BOOST_TEST(!contains(cost, "[192.0.2.1]"));
}

BOOST_AUTO_TEST_CASE(names_cannot_escape_their_comments) {
    auto out = exported(connector("A\\nFEATURE(`promiscuous_relay')", "\"127.0.0.1:2525\"", "daemon_name = \"a\""));
    BOOST_TEST(!contains(out, "\nFEATURE(`promiscuous_relay')"), out);
    BOOST_TEST(contains(out, "A?FEATURE"));
}

BOOST_AUTO_TEST_CASE(shipped_sendmail_config) {
    DaemonConfig file = load_daemon_config(std::string(MW_SOURCE_DIR) + "/contrib/sendmail/mailwarden.toml");
    DaemonConfig d;
    // Sendmail is not chrooted: the milter socket sits with the control socket.
    BOOST_TEST(file.milter.active());
    BOOST_TEST(file.milter.listen == "unix:/run/mailwarden/milter.sock");
    BOOST_TEST(!file.socketmap.active());       // Postfix syntax: Sendmail cannot use its answers
    BOOST_TEST(!file.policy_service.active());  // Postfix's check_policy_service
    BOOST_TEST(file.control.listen == d.control.listen);
    BOOST_TEST(file.rules == d.rules);
    BOOST_TEST(file.state_dir == d.state_dir);
    BOOST_TEST(file.user == d.user);
    BOOST_TEST(file.socket_group == d.socket_group);
    BOOST_TEST(!file.smtp.enabled);
    BOOST_TEST(file.log.target == d.log.target);
    // And the export of it says nothing about listeners Sendmail does not use.
    TempDir dir("smexport");
    auto out = export_sendmail(*load_ok(dir, org), file);
    BOOST_TEST(!contains(out, "[socketmap] is on"));
    BOOST_TEST(!contains(out, "[policy_service] is on"));
}
