// What `mailwarden export postfix` prints is what Postfix runs: a private Postfix 3.7 with Debian's
// stock chroot column (smtpd, smtp, cleanup, trivial-rewrite… chrooted in the queue directory), the
// export's main.cf section appended to its main.cf and the export's master.cf section as its smtpd
// service, word for word. mailwarden's sockets live under the queue directory and the export names
// them relative to it, so the chrooted services reach the milter, the socketmap and the policy
// service. Then the relay cases, and nmap's smtp-open-relay battery against the exported service.
#define BOOST_TEST_MODULE postfix_export
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/mailwarden_daemon.hpp"
#include "support/net.hpp"
#include "support/pki.hpp"
#include "support/postfix_instance.hpp"
#include "support/proc.hpp"
#include "support/smtp_sink.hpp"
#include "support/swaks.hpp"

using namespace mw::itest;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
}

bool contains(const std::string& text, const std::string& needle) { return text.find(needle) != std::string::npos; }

// The text between a "# --- NAME ---" line and the next section (or the end).
std::string export_section(const std::string& text, const std::string& name) {
    const std::string head = "# --- " + name + " ---\n";
    auto begin = text.find(head);
    if (begin == std::string::npos) throw std::runtime_error("the export has no " + name + " section:\n" + text);
    begin += head.size();
    auto end = text.find("\n# --- ", begin);
    return text.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
}

// The first line of a master.cf section that is neither a comment, nor a continuation, nor empty.
std::string first_service_line(const std::string& master_cf) {
    for (const auto& line : lines_of(master_cf))
        if (!line.empty() && line[0] != '#' && line[0] != ' ' && line[0] != '\t') return line;
    return {};
}

// Every "X-Rcpt-Args: <addr>" recipient smtp-sink recorded.
std::vector<std::string> sink_recipients(const SmtpSink& sink) {
    std::vector<std::string> out;
    const std::string tag = "X-Rcpt-Args: <";
    for (const auto& m : sink.messages())
        for (const auto& line : lines_of(m))
            if (line.rfind(tag, 0) == 0) out.push_back(line.substr(tag.size(), line.find('>') - tag.size()));
    return out;
}

bool in_example_com(const std::string& address) {
    const std::string suffix = "@example.com";
    return address.size() > suffix.size() && address.compare(address.size() - suffix.size(), suffix.size(), suffix) == 0 &&
           address.find_first_of("%!@") == address.size() - suffix.size();
}

// A private Postfix configured by the export, mailwarden and an smtp-sink as the Internet. The export
// needs the queue directory and mailwarden's configuration, and Postfix's configuration is written
// from the export, so this builds what RelayStack would, in that order.
struct World {
    mw::test::TempDir pki_dir{"pki"};
    Pki pki{pki_dir.path()};
    mw::test::TempDir dir{"pf"};  // short: socket paths under the queue directory must fit in 108 bytes
    SmtpSink sink{dir.path() / "sink"};
    std::string listen = "127.0.0.1:" + std::to_string(free_port());
    fs::path queue = dir.path() / "postfix" / "queue";  // PostfixInstance's queue directory
    fs::path queue_alias;  // the same, by a name short enough for socket paths (support/net.hpp)
    std::unique_ptr<MailwardenDaemon> mailwarden;
    std::string exported;
    std::string main_cf_section, master_cf_section;
    std::unique_ptr<PostfixInstance> postfix;

    World() {
        MailwardenOptions m;
        m.rules_source = fs::path(MW_SOURCE_DIR) / "tests/data/postfix-export";
        m.extra_rule_files = {};  // the export alone is under test
        fs::create_directories(queue);
        queue_alias = short_socket_dir(queue, 40);
        m.socket_dir = queue_alias / "mailwarden";
        m.substitutions = {{"@SMTPD_PORT@", listen.substr(listen.rfind(':') + 1)},
                           {"@SINK_PORT@", std::to_string(sink.port())}};
        fs::create_directories(m.socket_dir);
        mailwarden = std::make_unique<MailwardenDaemon>(dir.path() / "mailwarden", m);
        mailwarden->start();

        auto r = run_capture({MW_BINARY, "export", "postfix", "--config", mailwarden->config_file().string(),
                              "--queue-directory", queue_alias.string()});
        if (r.status != 0)
            throw std::runtime_error("mailwarden export postfix failed (" + std::to_string(r.status) + "):\n" + r.out +
                                     r.err);
        exported = r.out;
        main_cf_section = export_section(exported, "main.cf");
        master_cf_section = export_section(exported, "master.cf");

        PostfixOptions o;
        o.relayhost = sink.relayhost();
        o.chroot = true;
        o.extra_main_cf = lines_of(main_cf_section);
        // The exported service, verbatim. Its name is the connector's bind, so the fixture knows which
        // address and port to wait for.
        std::string service = first_service_line(master_cf_section);
        o.services = {SmtpdService{service.substr(0, service.find(' ')), {}, master_cf_section}};
        postfix = std::make_unique<PostfixInstance>(dir.path() / "postfix", pki, o);
        if (postfix->queue_dir() != queue || postfix->socket_dir() != m.socket_dir)  // both by the alias
            throw std::runtime_error("the fixture's queue directory is not " + queue.string());
        postfix->start();
    }

    SwaksOptions internet(std::string from, std::vector<std::string> to) const {
        SwaksOptions s;
        s.port = postfix->port();
        s.from = std::move(from);
        s.to = std::move(to);
        return s;
    }

    std::string socketmap(const std::string& map) const {
        return "socketmap:unix:" + (queue_alias / "mailwarden" / "socketmap.sock").string() + ":" + map;
    }
};

World& world() {
    static World w;
    return w;
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_exported_configuration_is_what_postfix_runs) {
    auto& w = world();
    // The export names the sockets relative to the queue directory, as the chrooted services see them.
    BOOST_TEST(contains(w.main_cf_section, "\nsmtpd_milters = unix:mailwarden/milter.sock\n"), w.exported);
    BOOST_TEST(contains(w.main_cf_section, "\ntransport_maps = socketmap:unix:mailwarden/socketmap.sock:transport\n"),
               w.exported);
    BOOST_TEST(contains(w.main_cf_section,
                        "\nsmtpd_relay_restrictions = check_policy_service unix:mailwarden/policy.sock, "
                        "reject_unauth_destination\n"),
               w.exported);
    BOOST_TEST(!contains(w.exported, "warning"), w.exported);
    // One service, chrooted as Debian ships smtpd, carrying the connector's daemon_name.
    BOOST_TEST(first_service_line(w.master_cf_section) == w.listen + " inet n - y - - smtpd", w.exported);
    BOOST_TEST(contains(w.master_cf_section, "\n  -o milter_macro_daemon_name=internet\n"), w.exported);

    std::string master_cf = read_file(w.postfix->config_dir() / "master.cf");
    BOOST_TEST(contains(master_cf, w.master_cf_section), master_cf);
    BOOST_TEST(contains(master_cf, "\nsmtp unix - - y - - smtp\n"), master_cf);
    BOOST_TEST(contains(master_cf, "\nrewrite unix - - y - - trivial-rewrite\n"), master_cf);
    // Where main.cf says a parameter twice, the export's (later) line is the one in force.
    auto relay = w.postfix->postconf({"-h", "smtpd_relay_restrictions", "smtpd_milters", "allow_percent_hack",
                                      "swap_bangpath"});
    BOOST_TEST(relay.out ==
               "check_policy_service unix:mailwarden/policy.sock, reject_unauth_destination\n"
               "unix:mailwarden/milter.sock\nno\nno\n");
}

BOOST_AUTO_TEST_CASE(relay_denied) {
    auto r = swaks(world().internet("someone@elsewhere.example", {"victim@other.example"}));
    BOOST_TEST(r.rcpt_reply("victim@other.example") == "554 5.7.1 <victim@other.example>: Relay access denied",
               r.transcript);
}

BOOST_AUTO_TEST_CASE(accepted_domain_mail_is_delivered_and_stamped) {
    auto o = world().internet("someone@elsewhere.example", {"bob@example.com"});
    o.headers = {"Subject: export-accepted-1"};
    auto r = swaks(o);
    BOOST_TEST(r.status == 0, r.transcript);
    auto m = world().sink.wait_message("Subject: export-accepted-1");
    BOOST_REQUIRE_MESSAGE(m, world().postfix->log());
    BOOST_TEST(contains(*m, "X-Rcpt-Args: <bob@example.com>"), *m);
    BOOST_TEST(contains(*m, "X-Mailwarden-AuthAs: Anonymous"), *m);
}

BOOST_AUTO_TEST_CASE(the_services_run_chrooted_in_the_queue_directory) {
    auto& w = world();
    auto o = w.internet("someone@elsewhere.example", {"alice@example.com"});
    o.headers = {"Subject: export-chroot"};
    auto r = swaks(o);
    BOOST_TEST(r.status == 0, r.transcript);
    BOOST_REQUIRE(w.sink.wait_message("Subject: export-chroot"));
    // Postfix daemons stay around idle for a while after their work, so each of these is alive now.
    fs::path queue = fs::canonical(w.queue);
    for (std::string name : {"smtpd", "trivial-rewrite", "cleanup", "smtp"}) {
        bool seen = false;
        for (const auto& p : process_group(w.postfix->master_pid())) {
            if (p.comm != name) continue;
            seen = true;
            BOOST_TEST(process_root(p.pid) == fs::canonical(queue), name << " " << p.pid);
        }
        BOOST_TEST(seen, "no " << name << " process");
    }
}

BOOST_AUTO_TEST_CASE(anonymous_spoof_of_own_domain_refused) {
    auto r = swaks(world().internet("ceo@example.com", {"bob@example.com"}));
    BOOST_TEST(r.mail_reply() == "550 5.7.1 <ceo@example.com>: Not authorized to send as this sender", r.transcript);
}

BOOST_AUTO_TEST_CASE(percent_hack_is_not_relayed) {
    auto r = swaks(world().internet("someone@elsewhere.example", {"user%victim.example@example.com"}));
    BOOST_TEST(r.rcpt_reply("user%victim.example@example.com") ==
                   "554 5.7.1 <user%victim.example@example.com>: Relay access denied",
               r.transcript);
}

// The other ways to hide a route in a local part of our domain: a bang path and a quoted "@".
BOOST_AUTO_TEST_CASE(bang_path_and_quoted_at_are_not_relayed) {
    const std::string bang = "victim.example!user@example.com", quoted = "\"user@victim.example\"@example.com";
    auto r = swaks(world().internet("someone@elsewhere.example", {bang, quoted}));
    BOOST_TEST(r.rcpt_reply(bang) == "554 5.7.1 <" + bang + ">: Relay access denied", r.transcript);
    // Postfix names the address in its internal, unquoted form.
    BOOST_TEST(r.rcpt_reply(quoted) == "554 5.7.1 <user@victim.example@example.com>: Relay access denied",
               r.transcript);
}

// trivial-rewrite (chrooted) asks the socketmap for the transport of every recipient it resolves, the
// smtp client (chrooted) for the TLS policy of its next hop; neither may fail to connect.
BOOST_AUTO_TEST_CASE(the_socketmap_answers_through_the_chroot) {
    auto& w = world();
    const std::string sink_hop = "[127.0.0.1]:" + std::to_string(w.sink.port());
    auto o = w.internet("someone@elsewhere.example", {"far@away.example"});
    o.quit_after = "RCPT";
    auto r = swaks(o);
    BOOST_TEST(r.rcpt_reply("far@away.example") == "554 5.7.1 <far@away.example>: Relay access denied", r.transcript);
    BOOST_TEST(w.mailwarden->wait_log("lookup: SOCKETMAP from postfix: OK smtp:" + sink_hop + "; map=transport key=far@away.example"),
               w.mailwarden->log());

    auto d = w.internet("someone@elsewhere.example", {"bob@example.com"});
    d.headers = {"Subject: export-tlspolicy"};
    BOOST_TEST(swaks(d).status == 0);
    BOOST_REQUIRE(w.sink.wait_message("Subject: export-tlspolicy"));
    BOOST_TEST(w.mailwarden->wait_log("lookup: SOCKETMAP from postfix: OK may; map=tlspolicy key=" + sink_hop), w.mailwarden->log());

    // The same table from outside the chroot, as an admin checks it.
    auto q = w.postfix->postmap_query("far@away.example", w.socketmap("transport"));
    BOOST_TEST(q.out == "smtp:" + sink_hop + "\n", q.err);

    // No daemon failed to reach a socket. (Each one warns that main.cf sets smtpd_relay_restrictions
    // twice, the fixture's and then the export's; the export's is the one in force, see above.)
    for (const auto& line : lines_of(w.postfix->log()))
        if (contains(line, "warning:") && !contains(line, "overriding earlier entry: smtpd_relay_restrictions="))
            BOOST_ERROR(line);
}

namespace {

// nmap's smtp-open-relay script: 16 MAIL/RCPT combinations (null sender, the target domain as
// sender, percent hack, bang paths, quoted local parts, source routes, address literals) in one
// session. It never sends DATA, so an open relay shows in its RCPT replies, and Postfix's disconnect
// line counts the accepted ones. `script_args`: smtp-open-relay.* settings. Only ever 127.0.0.1; no
// DNS (-n), no ping (-Pn). "+" runs the script although nmap does not take the port for SMTP (it
// only does for 25, 465 and 587).
void expect_no_open_relay(const std::string& script_args) {
    auto& w = world();
    if (run_capture({"sh", "-c", "command -v nmap"}).status != 0)
        BOOST_FAIL("nmap is not installed: this test runs nmap's smtp-open-relay script and cannot pass without it");
    std::size_t mark = w.postfix->log_size();
    std::size_t messages = w.sink.messages().size();
    auto r = run_capture({"nmap", "-Pn", "-n", "-vv", "-p", std::to_string(w.postfix->port()), "--script",
                          "+smtp-open-relay", "--script-args", script_args, "127.0.0.1"},
                         {}, 90s, true);
    BOOST_TEST_MESSAGE("nmap --script-args " << script_args << ":\n" << r.out);
    BOOST_TEST(r.status == 0, r.out);
    BOOST_TEST(contains(r.out, "smtp-open-relay: Server doesn't seem to be an open relay, all tests failed"), r.out);
    BOOST_TEST(!contains(r.out, "Server is an open relay"), r.out);

    // Postfix saw all 16 attempts in one session and accepted no recipient.
    BOOST_TEST(w.postfix->wait_log("disconnect from localhost[127.0.0.1]", 10s, mark), w.postfix->log_since(mark));
    std::string session = w.postfix->log_since(mark);
    BOOST_TEST(contains(session, " rset=16 "), session);
    BOOST_TEST(contains(session, " rcpt=0/"), session);
    BOOST_TEST(!contains(session, "too many errors"), session);

    // Nothing came of it: no new message at the sink, none for anyone outside example.com ever, none
    // queued.
    BOOST_TEST(w.sink.messages().size() == messages);
    for (const auto& rcpt : sink_recipients(w.sink)) BOOST_TEST(in_example_com(rcpt), rcpt);
    std::string mailq = w.postfix->mailq();
    BOOST_TEST(!contains(mailq, "relaytest"), mailq);
}

}  // namespace

// Our own domain as the script's domain: relaytest@example.com and its routing variants.
BOOST_AUTO_TEST_CASE(nmap_finds_no_open_relay) {
    expect_no_open_relay("smtp-open-relay.domain=example.com,smtp-open-relay.ip=127.0.0.1");
}

// The script's default domain: relaytest@nmap.scanme.org, someone else's.
BOOST_AUTO_TEST_CASE(nmap_finds_no_open_relay_to_its_default_domain) {
    expect_no_open_relay("smtp-open-relay.ip=127.0.0.1");
}
