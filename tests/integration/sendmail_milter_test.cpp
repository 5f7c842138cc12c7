// mailwarden attached to a real, private Sendmail 8.17 through INPUT_MAIL_FILTER, configured with the
// exact fragment `mailwarden export sendmail` prints, driven by swaks, with smtp-sink as the smart
// host. Runs inside tests/integration/sendmail/isolate: its own network namespace, where only loopback
// exists (so the connectors bind the usual ports 25 and 26 on 127.0.0.1), its own host name and
// resolver. Each case asserts the replies as the SMTP client sees them through Sendmail.
#define BOOST_TEST_MODULE sendmail_milter
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <regex>
#include <thread>

#include "support/forged_stamps.hpp"
#include "support/mailwarden_daemon.hpp"
#include "support/mime_samples.hpp"
#include "support/net.hpp"
#include "support/sendmail_instance.hpp"
#include "support/smtp_session.hpp"
#include "support/smtp_sink.hpp"
#include "support/swaks.hpp"

using namespace mw::itest;
namespace fs = std::filesystem;

namespace {

// Without the unpacked packages or the namespaces there is nothing to test: say so loudly and let
// CTest count the test as skipped (SKIP_RETURN_CODE 77), never as passed; with MW_REQUIRE_SENDMAIL=1
// (./scripts/test) it is a failure.
struct RequireIsolatedSendmail {
    static void give_up(const char* why) {
        const char* required = std::getenv("MW_REQUIRE_SENDMAIL");
        bool fail = required && std::string(required) == "1";
        std::cerr << (fail ? "FAILED: " : "SKIPPED: ") << why << "\n";
        std::exit(fail ? 1 : 77);
    }
    RequireIsolatedSendmail() {
        if (!isolated()) give_up("run through tests/integration/sendmail/isolate (CTest does)");
        if (!sendmail_peer_root())
            give_up("Sendmail is not unpacked; the sendmail_peer test could not download Debian's packages (see "
                    "its output)");
    }
};

std::size_t count(const std::string& text, const std::string& needle) {
    std::size_t n = 0;
    for (std::size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
    return n;
}

// Sendmail, mailwarden and the sink, shared by every case of this file.
// Everything Sendmail reads (certificates, keys, the CA file in mailwarden's rules, maps, its queue)
// lives in isolate's private /run, a root-owned tmpfs that ends with the namespace: Sendmail refuses
// such files under a world-writable directory, and a build tree may well sit under /tmp.
fs::path fresh_dir(const fs::path& dir) {
    fs::remove_all(dir);
    fs::create_directories(dir);
    fs::permissions(dir, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                             fs::perms::others_read | fs::perms::others_exec);
    return dir;
}

struct World {
    fs::path base = fresh_dir("/run/mailwarden-test");
    Pki pki{base / "pki"};
    SmtpSink sink{base / "sink", SmtpSinkOptions{"127.0.0.3", 0, {}}};
    std::unique_ptr<MailwardenDaemon> mailwarden;
    std::unique_ptr<SendmailInstance> sendmail;

    World() {
        mailwarden = make_mailwarden("mailwarden");

        auto exported = run_capture({MW_BINARY, "export", "sendmail", "--config", mailwarden->config_file().string()});
        if (exported.status != 0) throw std::runtime_error("export sendmail failed: " + exported.err);
        SendmailOptions s;
        s.mc_fragment = exported.out;
        // Test only: Sendmail's own relay check would refuse first; here mailwarden alone decides, so
        // the replies under test are mailwarden's.
        s.extra_mc = {"FEATURE(`promiscuous_relay')dnl"};
        s.smart_host = sink.address();
        s.smart_host_port = sink.port();
        sendmail = std::make_unique<SendmailInstance>(base / "sendmail", pki, s);
        sendmail->start();
    }

    // mailwarden on the test rules, started; its milter socket in isolate's private /run, as
    // contrib/sendmail has it, unless `milter_listen` says otherwise.
    std::unique_ptr<MailwardenDaemon> make_mailwarden(const std::string& name, std::string milter_listen = {}) const {
        MailwardenOptions m;
        m.rules_source = fs::path(MW_SOURCE_DIR) / "tests/data/sendmail-itest";
        m.socket_dir = "/run/mailwarden";
        fs::create_directories(m.socket_dir);
        m.milter_listen = std::move(milter_listen);
        m.substitutions = {{"@PIN@", pki.pinned().sha256}};
        auto daemon = std::make_unique<MailwardenDaemon>(base / name, m);
        fs::create_directories(daemon->rules_dir() / "certs");
        fs::copy_file(pki.partner_ca().cert, daemon->rules_dir() / "certs/partners.pem");
        fs::permissions(daemon->rules_dir() / "certs/partners.pem", fs::perms::others_read, fs::perm_options::add);
        daemon->start();
        return daemon;
    }

    SwaksOptions internet(std::string from, std::vector<std::string> to) const {
        SwaksOptions s;
        s.port = sendmail->port("internet");
        s.from = std::move(from);
        s.to = std::move(to);
        return s;
    }
    // The application server at 127.0.0.2, on the Internal connector.
    SwaksOptions internal(std::string from, std::vector<std::string> to) const {
        SwaksOptions s = internet(std::move(from), std::move(to));
        s.port = sendmail->port("internal");
        s.extra_args = {"--local-interface", "127.0.0.2"};
        return s;
    }
    std::optional<std::string> delivered(const std::string& subject) const {
        return sink.wait_message("Subject: " + subject);
    }
    std::string logs() const { return "--- sendmail:\n" + sendmail->log() + "--- mailwarden:\n" + mailwarden->log(); }
};

// Built once; a failure to build it fails every case at once with the same message. (A function-local
// static, not a pointer made earlier: it must be destroyed before the reaper its processes registered
// with, which is constructed while it is.)
World& world() {
    static std::string failure;
    if (!failure.empty()) throw std::runtime_error(failure);
    try {
        static World w;
        return w;
    } catch (const std::exception& e) {
        failure = e.what();
        throw;
    }
}

std::string subject_header(const std::string& s) { return "Subject: " + s; }

}  // namespace

BOOST_TEST_GLOBAL_FIXTURE(RequireIsolatedSendmail);

BOOST_AUTO_TEST_CASE(accepted_domain_mail_is_delivered_and_stamped) {
    auto o = world().internet("someone@elsewhere.example", {"bob@example.com"});
    o.headers = {subject_header("hello-sendmail")};
    auto r = swaks(o);
    BOOST_TEST(r.status == 0, r.transcript << world().logs());
    auto m = world().delivered("hello-sendmail");
    BOOST_REQUIRE(m);
    BOOST_TEST(count(*m, "X-Mailwarden-AuthAs: Anonymous") == 1u, *m);
    // The connector comes from {daemon_name} (DAEMON_OPTIONS Name=internet).
    BOOST_TEST(world().mailwarden->log().find("connector=Internet") != std::string::npos, world().logs());
}

BOOST_AUTO_TEST_CASE(ipv6_client_on_a_second_daemon_of_the_same_name) {
    // The Internet connector binds 127.0.0.1:25 and [::1]:25: two DAEMON_OPTIONS, both Name=internet.
    auto o = world().internet("someone@elsewhere.example", {"bob@example.com"});
    o.server = "::1";
    o.headers = {subject_header("over-ipv6")};
    auto r = swaks(o);
    BOOST_TEST(r.status == 0, r.transcript << world().logs());
    auto m = world().delivered("over-ipv6");
    BOOST_REQUIRE(m);
    BOOST_TEST(count(*m, "X-Mailwarden-AuthAs: Anonymous") == 1u, *m);
    auto denied = world().internet("someone@elsewhere.example", {"victim@other.example"});
    denied.server = "::1";
    auto d = swaks(denied);
    BOOST_TEST(d.rcpt_reply("victim@other.example") == "554 5.7.1 <victim@other.example>: Relay access denied",
               d.transcript);
    // The milter saw the IPv6 client address and picked the connector by {daemon_name}.
    BOOST_TEST(world().mailwarden->log().find("[::1]: 554 5.7.1") != std::string::npos, world().logs());
}

BOOST_AUTO_TEST_CASE(relay_denied) {
    auto r = swaks(world().internet("someone@elsewhere.example", {"victim@other.example"}));
    BOOST_TEST(r.rcpt_reply("victim@other.example") == "554 5.7.1 <victim@other.example>: Relay access denied",
               r.transcript);
}

// Sendmail puts "<address>... " after the status of a 550 or 553 itself; mailwarden then leaves its own
// "<address>: " out (milter/reply_text.hpp). Other codes pass as mailwarden wrote them.
BOOST_AUTO_TEST_CASE(unknown_user) {
    auto r = swaks(world().internet("someone@elsewhere.example", {"nobody@example.com"}));
    BOOST_TEST(r.rcpt_reply("nobody@example.com") == "550 5.1.1 <nobody@example.com>... User unknown", r.transcript);
}

BOOST_AUTO_TEST_CASE(anonymous_spoof_of_own_domain_refused) {
    auto r = swaks(world().internet("ceo@example.com", {"bob@example.com"}));
    BOOST_TEST(r.mail_reply() == "550 5.7.1 <ceo@example.com>... Not authorized to send as this sender", r.transcript);
}

BOOST_AUTO_TEST_CASE(tls_required_sender_without_tls) {
    auto r = swaks(world().internet("payments@bank.example", {"bob@example.com"}));
    BOOST_TEST(r.mail_reply() == "530 5.7.0 Must issue a STARTTLS command first", r.transcript);
    auto o = world().internet("payments@bank.example", {"bob@example.com"});
    o.tls = true;
    o.headers = {subject_header("bank-over-tls")};
    auto tls = swaks(o);
    BOOST_TEST(tls.status == 0, tls.transcript);
    BOOST_TEST(world().delivered("bank-over-tls").has_value());
}

BOOST_AUTO_TEST_CASE(partner_over_mutual_tls_is_stamped) {
    auto o = world().internet("alice@partner.example", {"bob@example.com"});
    o.tls = true;
    o.tls_cert = world().pki.partner_client().pem;
    o.tls_key = world().pki.partner_client().pem;
    o.headers = {subject_header("partner-secure")};
    auto r = swaks(o);
    BOOST_TEST(r.status == 0, r.transcript << world().logs());
    auto m = world().delivered("partner-secure");
    BOOST_REQUIRE(m);
    BOOST_TEST(m->find("X-Mailwarden-Domain-Secure: pass domain=partner.example; tls=TLSv1.3") != std::string::npos, *m);
    BOOST_TEST(m->find("X-Mailwarden-AuthAs: Partner") != std::string::npos, *m);
}

BOOST_AUTO_TEST_CASE(partner_with_untrusted_or_no_certificate_is_deferred) {
    // Sendmail hands over the subject of the self-signed certificate too; {verify} = FAIL says it is not
    // trusted.
    auto o = world().internet("alice@partner.example", {"bob@example.com"});
    o.tls = true;
    o.tls_cert = world().pki.untrusted_client().pem;
    o.tls_key = world().pki.untrusted_client().pem;
    auto r = swaks(o);
    BOOST_TEST(r.mail_reply() == "454 4.7.5 <alice@partner.example>: Certificate validation failure for partner.example",
               r.transcript << world().logs());
    auto n = world().internet("alice@partner.example", {"bob@example.com"});
    n.tls = true;
    auto none = swaks(n);
    BOOST_TEST(none.mail_reply() == "454 4.7.5 <alice@partner.example>: Certificate validation failure for partner.example",
               none.transcript);
}

BOOST_AUTO_TEST_CASE(direct_trust_from_cert_fp) {
    // A self-signed certificate Sendmail cannot verify ({verify} = FAIL), pinned by its SHA-256.
    auto o = world().internet("carol@other.example", {"bob@example.com"});
    o.tls = true;
    o.tls_cert = world().pki.pinned().pem;
    o.tls_key = world().pki.pinned().pem;
    o.headers = {subject_header("pinned-partner")};
    auto r = swaks(o);
    BOOST_TEST(r.status == 0, r.transcript << world().logs());
    auto m = world().delivered("pinned-partner");
    BOOST_REQUIRE(m);
    BOOST_TEST(m->find("X-Mailwarden-Domain-Secure: pass domain=other.example") != std::string::npos, *m);

    auto wrong = world().internet("carol@other.example", {"bob@example.com"});
    wrong.tls = true;
    wrong.tls_cert = world().pki.untrusted_client().pem;
    wrong.tls_key = world().pki.untrusted_client().pem;
    auto w = swaks(wrong);
    BOOST_TEST(w.mail_reply() == "454 4.7.5 <carol@other.example>: Certificate validation failure for other.example",
               w.transcript);
}

BOOST_AUTO_TEST_CASE(forged_stamps_stripped) {
    auto o = world().internet("someone@elsewhere.example", {"alice@example.com"});
    o.headers = {subject_header("forged-stamps")};
    o.add_headers = forged_stamp_headers();
    auto r = swaks(o);
    BOOST_TEST(r.status == 0, r.transcript);
    auto m = world().delivered("forged-stamps");
    BOOST_REQUIRE(m);
    // Sendmail keeps the indexes of the remaining fields after a deletion (Postfix renumbers): all
    // three forged copies must still go.
    for (const auto& problem : forged_stamp_problems(*m)) BOOST_ERROR(problem << "\n" << *m);
}

BOOST_AUTO_TEST_CASE(per_recipient_restrictions) {
    // A student, through the application server, may write inside the school only.
    auto o = world().internal("kid1@example.com", {"friend@gmail.example", "teacher@example.com"});
    o.headers = {subject_header("kid-writes")};
    auto r = swaks(o);
    BOOST_TEST(r.rcpt_reply("friend@gmail.example") ==
                   "550 5.7.1 <friend@gmail.example>... Students may not send mail outside the school",
               r.transcript << world().logs());
    BOOST_TEST(r.rcpt_reply("teacher@example.com").substr(0, 3) == "250", r.transcript);
    auto m = world().delivered("kid-writes");
    BOOST_REQUIRE(m);
    BOOST_TEST(m->find("X-Rcpt-Args: <friend@gmail.example>") == std::string::npos, *m);
    BOOST_TEST(m->find("X-Rcpt-Args: <teacher@example.com>") != std::string::npos, *m);

    // all-staff@ takes mail from the school only; bob@ from anyone.
    auto outsider = world().internet("someone@elsewhere.example", {"all-staff@example.com", "bob@example.com"});
    auto refused = swaks(outsider);
    BOOST_TEST(refused.rcpt_reply("all-staff@example.com").substr(0, 9) == "550 5.7.1", refused.transcript);
    BOOST_TEST(refused.rcpt_reply("bob@example.com").substr(0, 3) == "250", refused.transcript);
}

BOOST_AUTO_TEST_CASE(transport_rule_prefix_and_reject) {
    auto o = world().internet("billing@vendor.example", {"alice@example.com"});
    o.headers = {subject_header("Your invoice 77")};
    auto r = swaks(o);
    BOOST_TEST(r.status == 0, r.transcript);
    auto m = world().sink.wait_message("Subject: [EXTERNAL] Your invoice 77");
    BOOST_REQUIRE(m);
    BOOST_TEST(m->find("X-External: yes") != std::string::npos, *m);

    auto bad = world().internet("billing@vendor.example", {"alice@example.com"});
    bad.headers = {subject_header("tool"), "Content-Type: application/octet-stream; name=\"tool.exe\""};
    auto refused = swaks(bad);
    BOOST_TEST(refused.end_of_data_reply() == "550 5.7.1 Executable attachments are not accepted", refused.transcript);
}

// The shipped example rules on real messages (tests/data/mime-samples), through Sendmail: every
// executable is refused at the end of data; malformed MIME is quarantined; a clean one delivered.
BOOST_AUTO_TEST_CASE(mime_samples_through_sendmail) {
    auto samples = mime_samples(world().base / "mime-samples");
    std::size_t mark = world().mailwarden->log_size();
    for (const auto& problem : send_mime_samples(samples, world().internet("someone@vendor.example", {"alice@example.com"})))
        BOOST_ERROR(problem);
    BOOST_TEST(world().sink.wait_message("Subject: The report").has_value());
    BOOST_TEST(world().mailwarden->wait_log("rule=\"Quarantine malformed MIME\"", 20s, mark), world().mailwarden->log());
    BOOST_TEST(world().mailwarden->wait_log("rule=\"No executables from outside\"", 20s, mark));
}

BOOST_AUTO_TEST_CASE(percent_hack_is_not_relayed) {
    auto r = swaks(world().internet("someone@elsewhere.example", {"user%victim.example@example.com"}));
    BOOST_TEST(r.rcpt_reply("user%victim.example@example.com").substr(0, 9) == "554 5.7.1", r.transcript);
}

// --- the daemon's life under Sendmail ----------------------------------------------------------------

namespace {

const char* const v2_rule = R"([[transport_rule]]
name = "Rules version 2"
priority = 90
if = { from_scope = "outside" }
then = { add_header = { X-Rules = "v2" } }
)";

}  // namespace

BOOST_AUTO_TEST_CASE(hot_reload_under_a_stream_of_sessions_loses_nothing) {
    auto& w = world();
    std::uint64_t before = w.mailwarden->generation();
    BOOST_REQUIRE(before > 0);
    constexpr int messages = 20;
    std::atomic<int> sent{0}, failed{0};
    std::string failures;
    std::thread stream([&] {
        for (int i = 0; i < messages; ++i) {
            auto o = w.internet("someone@elsewhere.example", {"bob@example.com"});
            o.headers = {subject_header("sm-stream-" + std::to_string(i))};
            auto r = swaks(o);
            if (r.status != 0) {
                failed++;
                failures += r.transcript;
            }
            sent++;
        }
    });
    wait_for([&] { return sent >= 5; }, 60s);
    w.mailwarden->write_rule_file("60-reload.toml", v2_rule);
    BOOST_TEST(wait_for([&] { return w.mailwarden->generation() > before; }, 20s), w.mailwarden->log());
    stream.join();
    BOOST_TEST(failed == 0, failures);
    for (int i = 0; i < messages; ++i)
        BOOST_TEST(w.delivered("sm-stream-" + std::to_string(i)).has_value(), "sm-stream-" << i << " lost");
    auto last = w.delivered("sm-stream-" + std::to_string(messages - 1));
    BOOST_REQUIRE(last);
    BOOST_TEST(last->find("X-Rules: v2") != std::string::npos, *last);

    // A broken edit: reload names the error, the last good rules stay.
    std::uint64_t good = w.mailwarden->generation();
    w.mailwarden->write_rule_file("61-broken.toml", "[[transport_rule]]\nname = \"broken\"\nthen = { reject = 42 }\n");
    auto reload = w.mailwarden->reload();
    BOOST_TEST(reload.status == 1);
    BOOST_TEST(reload.err.find("61-broken.toml:3:") != std::string::npos, reload.err);
    BOOST_TEST(w.mailwarden->generation() == good);
    auto o = w.internet("someone@elsewhere.example", {"bob@example.com"});
    o.headers = {subject_header("sm-after-broken-edit")};
    BOOST_TEST(swaks(o).status == 0);
    auto m = w.delivered("sm-after-broken-edit");
    BOOST_REQUIRE(m);
    BOOST_TEST(m->find("X-Rules: v2") != std::string::npos, *m);

    fs::remove(w.mailwarden->rules_dir() / "61-broken.toml");
    fs::remove(w.mailwarden->rules_dir() / "60-reload.toml");
    BOOST_TEST(w.mailwarden->reload().status == 0);
}

BOOST_AUTO_TEST_CASE(mailwarden_down_sendmail_tempfails_and_nothing_is_lost) {
    auto& w = world();
    // A session at RCPT when the daemon vanishes: F=T turns the lost milter into 4xx, never 250.
    auto queued_before = w.sendmail->queue_ids();
    SmtpSession held("127.0.0.1", w.sendmail->port("internet"));
    BOOST_TEST(held.command("EHLO client.example").substr(0, 3) == "250");
    BOOST_TEST(held.command("MAIL FROM:<someone@elsewhere.example>").substr(0, 3) == "250");
    BOOST_TEST(held.command("RCPT TO:<bob@example.com>").substr(0, 3) == "250");
    w.mailwarden->kill_hard();
    std::string held_reply =
        held.send_data("From: someone@elsewhere.example\nTo: bob@example.com\nSubject: sm-in-flight-at-crash\n\nbody\n");
    BOOST_TEST(held_reply.substr(0, 1) == "4", held_reply);
    held.command("QUIT");

    auto o = w.internet("someone@elsewhere.example", {"bob@example.com"});
    o.headers = {subject_header("sm-during-the-outage")};
    auto r = swaks(o);
    BOOST_TEST(r.mail_reply() == "451 4.3.2 Please try again later", r.transcript);
    // Nothing new in Sendmail's queue (its queue runner may still deliver something older meanwhile).
    for (const auto& id : w.sendmail->queue_ids())
        BOOST_TEST((std::find(queued_before.begin(), queued_before.end(), id) != queued_before.end()),
                   "queued while mailwarden was down: " << id);

    w.mailwarden->start();
    auto again = w.internet("someone@elsewhere.example", {"bob@example.com"});
    again.headers = {subject_header("sm-after-the-restart")};
    auto ok = swaks(again);
    BOOST_TEST(ok.status == 0, ok.transcript);
    BOOST_TEST(w.delivered("sm-after-the-restart").has_value());
    for (const auto& m : w.sink.messages()) {
        BOOST_TEST(m.find("Subject: sm-during-the-outage") == std::string::npos);
        BOOST_TEST(m.find("Subject: sm-in-flight-at-crash") == std::string::npos);
    }
}

// --- Sendmail's own relay control, as the export sets it up ---------------------------------------

namespace {

// The access-map lines the export prints for the admin ("dnl   Connect:127.0.0.2 RELAY"), as the
// admin would copy them into /etc/mail/access.
std::vector<std::string> exported_access_lines(const std::string& fragment) {
    static const std::regex line(R"(^dnl\s+((?:Connect|To|TLS_Rcpt):\S+\s+\S+)\s*$)", std::regex::multiline);
    std::vector<std::string> out;
    for (auto it = std::sregex_iterator(fragment.begin(), fragment.end(), line); it != std::sregex_iterator(); ++it)
        out.push_back((*it)[1]);
    return out;
}

}  // namespace

// Last: it replaces the test-only promiscuous Sendmail with one configured exactly as the export and
// its access-map lines say, where Sendmail refuses relaying by itself and mailwarden judges the rest;
// and mailwarden's milter now listens on TCP (INPUT_MAIL_FILTER S=inet:PORT@127.0.0.1).
BOOST_AUTO_TEST_CASE(exported_relay_control_without_promiscuous_relay) {
    auto& w = world();
    w.sendmail.reset();
    w.mailwarden.reset();
    std::uint16_t milter_port = free_port();
    w.mailwarden = w.make_mailwarden("mailwarden-inet", "inet:127.0.0.1:" + std::to_string(milter_port));
    auto exported = run_capture({MW_BINARY, "export", "sendmail", "--config", w.mailwarden->config_file().string()});
    BOOST_REQUIRE(exported.status == 0);
    auto access = exported_access_lines(exported.out);
    std::string listed;
    for (const auto& l : access) listed += l + "\n";
    BOOST_TEST(listed.find("To:example.com RELAY") != std::string::npos, exported.out);
    BOOST_TEST(listed.find("Connect:127.0.0.2 RELAY") != std::string::npos, exported.out);
    BOOST_TEST(exported.out.find("S=`inet:" + std::to_string(milter_port) + "@127.0.0.1'") != std::string::npos,
               exported.out);

    SendmailOptions s;
    s.mc_fragment = exported.out;
    s.access_lines = access;
    s.smart_host = w.sink.address();
    s.smart_host_port = w.sink.port();
    w.sendmail = std::make_unique<SendmailInstance>(w.base / "sendmail-exported", w.pki, s);
    w.sendmail->start();

    // Anyone may send to the accepted domain.
    auto in = w.internet("someone@elsewhere.example", {"bob@example.com"});
    in.headers = {subject_header("exported-inbound")};
    auto r = swaks(in);
    BOOST_TEST(r.status == 0, r.transcript << w.logs());
    auto m = w.delivered("exported-inbound");
    BOOST_REQUIRE(m);
    BOOST_TEST(count(*m, "X-Mailwarden-AuthAs: Anonymous") == 1u, *m);

    // Relaying elsewhere: Sendmail itself refuses first. (Not from 127.0.0.1: Sendmail relays for its
    // own host by itself.)
    auto outside = w.internet("someone@elsewhere.example", {"victim@other.example"});
    outside.extra_args = {"--local-interface", "127.0.0.5"};
    auto out = swaks(outside);
    BOOST_TEST(out.rcpt_reply("victim@other.example") == "550 5.7.1 <victim@other.example>... Relaying denied",
               out.transcript);
    // A client whose host name lies under an accepted domain gets no more (class R would have let
    // Sendmail relay for it).
    auto named = w.internet("someone@elsewhere.example", {"victim@other.example"});
    named.extra_args = {"--local-interface", "127.0.0.4"};
    auto n = swaks(named);
    BOOST_TEST(n.rcpt_reply("victim@other.example") == "550 5.7.1 <victim@other.example>... Relaying denied",
               n.transcript << w.sendmail->log());

    // The application server's address is RELAY in the access map (the Internal connector grants it
    // relaying); Sendmail lets it relay and mailwarden still applies the delivery restrictions.
    auto app = w.internal("teacher@example.com", {"friend@gmail.example"});
    app.headers = {subject_header("exported-relay")};
    auto a = swaks(app);
    BOOST_TEST(a.status == 0, a.transcript << w.logs());
    BOOST_TEST(w.delivered("exported-relay").has_value());
    auto kid = swaks(w.internal("kid1@example.com", {"friend@gmail.example"}));
    BOOST_TEST(kid.rcpt_reply("friend@gmail.example") ==
                   "550 5.7.1 <friend@gmail.example>... Students may not send mail outside the school",
               kid.transcript);
}
