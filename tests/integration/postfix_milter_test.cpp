// mailwarden attached to a real, private Postfix 3.7: milter, socketmap and policy service, driven by
// swaks, with smtp-sink as the next hop and certificates made at test time. Each case asserts the
// exact replies of README "Replies" as the SMTP client sees them through Postfix.
#define BOOST_TEST_MODULE postfix_milter
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <filesystem>
#include <atomic>
#include <memory>
#include <thread>

#include "support/dovecot_sasl.hpp"
#include "support/forged_stamps.hpp"
#include "support/mailwarden_daemon.hpp"
#include "support/mime_samples.hpp"
#include "support/net.hpp"
#include "support/relay_stack.hpp"
#include "support/smtp_session.hpp"
#include "support/smtp_sink.hpp"
#include "support/swaks.hpp"

using namespace mw::itest;
namespace fs = std::filesystem;

namespace {

std::size_t count(const std::string& text, const std::string& needle) {
    std::size_t n = 0;
    for (std::size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
    return n;
}

// The whole arrangement, shared by every case of this file: Postfix with two smtpd services (the
// Internet and Client connectors), Dovecot for SASL, mailwarden, and three next hops.
struct World {
    mw::test::TempDir pki_dir{"pki"};
    Pki pki{pki_dir.path()};
    mw::test::TempDir dir{"pfmw"};
    SmtpSink bank_sink{dir.path() / "bank-sink"};  // offers no STARTTLS: TLS-required mail must wait
    std::uint16_t partner_port = free_port();      // nothing listens: partner mail stays queued
    std::unique_ptr<RelayStack> stack;
    std::unique_ptr<DovecotSasl> dovecot;
    std::unique_ptr<MailwardenDaemon> mailwarden;

    World() {
        PostfixOptions o;
        o.smtpd_tls_CAfile = pki.partner_ca().cert;
        o.relay_domains = "example.com";
        o.dovecot_sasl = true;
        o.services = {SmtpdService::on_free_port({"milter_macro_daemon_name=internet",
                                                  "smtpd_policy_service_policy_context=internet"}),
                      SmtpdService::on_free_port({"milter_macro_daemon_name=submission",
                                                  "smtpd_policy_service_policy_context=submission",
                                                  "smtpd_sasl_auth_enable=yes", "smtpd_tls_auth_only=yes"})};
        o.extra_main_cf = {
            "smtpd_milters = unix:mailwarden/milter.sock",
            "milter_default_action = tempfail",
            "milter_protocol = 6",
            "smtp_tls_policy_maps = socketmap:unix:mailwarden/socketmap.sock:tlspolicy",
            "transport_maps = socketmap:unix:mailwarden/socketmap.sock:transport",
            "smtpd_relay_restrictions = check_policy_service unix:mailwarden/policy.sock, reject_unauth_destination",
            "allow_percent_hack = no",
            "swap_bangpath = no",
        };
        stack = std::make_unique<RelayStack>(pki, o, SmtpSinkOptions{}, false);
        dovecot = std::make_unique<DovecotSasl>(dir.path() / "dovecot", stack->postfix.sasl_socket());

        MailwardenOptions m;
        m.rules_source = fs::path(MW_SOURCE_DIR) / "tests/data/postfix-itest";
        m.socket_dir = stack->postfix.socket_dir();
        m.substitutions = {{"@SINK_PORT@", std::to_string(stack->sink.port())},
                           {"@BANK_PORT@", std::to_string(bank_sink.port())},
                           {"@PARTNER_PORT@", std::to_string(partner_port)},
                           {"@PIN@", pki.pinned().sha256}};
        mailwarden = std::make_unique<MailwardenDaemon>(dir.path() / "mailwarden", m);
        fs::create_directories(mailwarden->rules_dir() / "certs");
        fs::copy_file(pki.partner_ca().cert, mailwarden->rules_dir() / "certs/partners.pem");
        fs::permissions(mailwarden->rules_dir() / "certs/partners.pem", fs::perms::others_read, fs::perm_options::add);
        mailwarden->start();
        stack->postfix.start();
    }

    SwaksOptions internet(std::string from, std::vector<std::string> to) const {
        SwaksOptions s;
        s.port = stack->postfix.port(0);
        s.from = std::move(from);
        s.to = std::move(to);
        return s;
    }
    SwaksOptions submission(std::string user, std::string password, std::vector<std::string> to) const {
        SwaksOptions s;
        s.port = stack->postfix.port(1);
        s.from = user;
        s.to = std::move(to);
        s.tls = true;
        s.auth = "PLAIN";
        s.auth_user = std::move(user);
        s.auth_password = std::move(password);
        return s;
    }
    // The message with this unique Subject as the next hop received it.
    std::optional<std::string> delivered(const std::string& subject) const {
        return stack->sink.wait_message("Subject: " + subject);
    }
};

World& world() {
    static World w;
    return w;
}

std::string subject_header(const std::string& s) { return "Subject: " + s; }

}  // namespace

BOOST_AUTO_TEST_CASE(relay_denied) {
    auto r = swaks(world().internet("someone@elsewhere.example", {"victim@other.example"}));
    BOOST_TEST(r.rcpt_reply("victim@other.example") == "554 5.7.1 <victim@other.example>: Relay access denied");
}

BOOST_AUTO_TEST_CASE(accepted_domain_mail_is_delivered_and_stamped) {
    auto o = world().internet("someone@elsewhere.example", {"bob@example.com"});
    o.headers = {subject_header("accepted-1")};
    auto r = swaks(o);
    BOOST_TEST(r.status == 0, r.transcript);
    auto m = world().delivered("accepted-1");
    BOOST_REQUIRE(m);
    BOOST_TEST(count(*m, "X-Mailwarden-AuthAs: Anonymous") == 1u, *m);
}

BOOST_AUTO_TEST_CASE(unknown_user) {
    auto r = swaks(world().internet("someone@elsewhere.example", {"nobody@example.com"}));
    BOOST_TEST(r.rcpt_reply("nobody@example.com") == "550 5.1.1 <nobody@example.com>: User unknown");
}

BOOST_AUTO_TEST_CASE(anonymous_spoof_of_own_domain_refused) {
    auto r = swaks(world().internet("ceo@example.com", {"bob@example.com"}));
    BOOST_TEST(r.mail_reply() == "550 5.7.1 <ceo@example.com>: Not authorized to send as this sender");
}

BOOST_AUTO_TEST_CASE(tls_required_sender_without_tls) {
    auto r = swaks(world().internet("payments@bank.example", {"bob@example.com"}));
    BOOST_TEST(r.mail_reply() == "530 5.7.0 Must issue a STARTTLS command first");
    auto o = world().internet("payments@bank.example", {"bob@example.com"});
    o.tls = true;
    o.headers = {subject_header("bank-over-tls")};
    auto tls = swaks(o);
    BOOST_TEST(tls.status == 0, tls.transcript);
}

BOOST_AUTO_TEST_CASE(submission_needs_tls_and_auth) {
    auto& w = world();
    SwaksOptions plain;
    plain.port = w.stack->postfix.port(1);
    plain.from = "kid1@example.com";
    plain.to = {"bob@example.com"};
    auto r = swaks(plain);
    BOOST_TEST(r.mail_reply() == "530 5.7.0 Must issue a STARTTLS command first");
    plain.tls = true;
    auto no_auth = swaks(plain);
    BOOST_TEST(no_auth.mail_reply() == "530 5.7.0 Authentication required");
    auto o = w.submission("teacher@example.com", "teacher-password", {"friend@gmail.example", "bob@example.com"});
    o.headers = {subject_header("teacher-writes")};
    auto ok = swaks(o);
    BOOST_TEST(ok.status == 0, ok.transcript);
    auto m = w.delivered("teacher-writes");
    BOOST_REQUIRE(m);
    BOOST_TEST(m->find("Authentication-Results: mx.example.com; auth=pass smtp.auth=teacher@example.com") !=
                   std::string::npos,
               *m);
    BOOST_TEST(m->find("X-Mailwarden-AuthAs: Authenticated") != std::string::npos, *m);
}

BOOST_AUTO_TEST_CASE(student_restriction_per_recipient) {
    auto o = world().submission("kid1@example.com", "kid1-password", {"friend@gmail.example", "teacher@example.com"});
    o.headers = {subject_header("kid-writes")};
    auto r = swaks(o);
    BOOST_TEST(r.rcpt_reply("friend@gmail.example") == "550 5.7.1 Students may not send mail outside the school");
    BOOST_TEST(r.rcpt_reply("teacher@example.com") == "250 2.1.5 Ok");
    auto m = world().delivered("kid-writes");
    BOOST_REQUIRE(m);
    BOOST_TEST(m->find("X-Rcpt-Args: <friend@gmail.example>") == std::string::npos, *m);
    BOOST_TEST(m->find("X-Rcpt-Args: <teacher@example.com>") != std::string::npos, *m);
}

BOOST_AUTO_TEST_CASE(partner_over_mutual_tls_is_stamped) {
    auto o = world().internet("alice@partner.example", {"bob@example.com"});
    o.tls = true;
    o.tls_cert = world().pki.partner_client().pem;
    o.tls_key = world().pki.partner_client().pem;
    o.headers = {subject_header("partner-secure")};
    auto r = swaks(o);
    BOOST_TEST(r.status == 0, r.transcript);
    auto m = world().delivered("partner-secure");
    BOOST_REQUIRE(m);
    BOOST_TEST(m->find("X-Mailwarden-Domain-Secure: pass domain=partner.example; tls=TLSv1.3") != std::string::npos, *m);
    BOOST_TEST(m->find("X-Mailwarden-AuthAs: Partner") != std::string::npos, *m);
}

BOOST_AUTO_TEST_CASE(partner_with_untrusted_certificate_is_deferred) {
    auto o = world().internet("alice@partner.example", {"bob@example.com"});
    o.tls = true;
    o.tls_cert = world().pki.untrusted_client().pem;
    o.tls_key = world().pki.untrusted_client().pem;
    auto r = swaks(o);
    BOOST_TEST(r.mail_reply() == "454 4.7.5 <alice@partner.example>: Certificate validation failure for partner.example");
    auto none = swaks([] {
        auto n = world().internet("alice@partner.example", {"bob@example.com"});
        n.tls = true;
        return n;
    }());
    BOOST_TEST(none.mail_reply() == "454 4.7.5 <alice@partner.example>: Certificate validation failure for partner.example");
}

BOOST_AUTO_TEST_CASE(direct_trust_through_the_policy_service) {
    auto o = world().internet("carol@other.example", {"bob@example.com"});
    o.tls = true;
    o.tls_cert = world().pki.pinned().pem;
    o.tls_key = world().pki.pinned().pem;
    o.headers = {subject_header("pinned-partner")};
    auto r = swaks(o);
    BOOST_TEST(r.rcpt_reply("bob@example.com") == "250 2.1.5 Ok", r.transcript);
    auto m = world().delivered("pinned-partner");
    BOOST_REQUIRE(m);
    BOOST_TEST(m->find("X-Mailwarden-Domain-Secure: pass domain=other.example") != std::string::npos, *m);

    // Another certificate for the pinned domain: refused at RCPT, where Postfix mode learns the pin.
    auto wrong = world().internet("carol@other.example", {"bob@example.com"});
    wrong.tls = true;
    wrong.tls_cert = world().pki.untrusted_client().pem;
    wrong.tls_key = world().pki.untrusted_client().pem;
    auto w = swaks(wrong);
    BOOST_TEST(w.rcpt_reply("bob@example.com") ==
               "454 4.7.5 <carol@other.example>: Certificate validation failure for other.example");
}

BOOST_AUTO_TEST_CASE(forged_stamps_stripped_three_copies) {
    auto o = world().internet("someone@elsewhere.example", {"alice@example.com"});
    o.headers = {subject_header("forged-stamps")};
    o.add_headers = forged_stamp_headers();
    auto r = swaks(o);
    BOOST_TEST(r.status == 0, r.transcript);
    auto m = world().delivered("forged-stamps");
    BOOST_REQUIRE(m);
    for (const auto& problem : forged_stamp_problems(*m)) BOOST_ERROR(problem << "\n" << *m);
}

BOOST_AUTO_TEST_CASE(transport_rule_prefix_and_reject) {
    auto o = world().internet("billing@vendor.example", {"alice@example.com"});
    o.headers = {subject_header("Your invoice 77")};
    auto r = swaks(o);
    BOOST_TEST(r.status == 0, r.transcript);
    auto m = world().stack->sink.wait_message("Subject: [EXTERNAL] Your invoice 77");
    BOOST_REQUIRE(m);
    BOOST_TEST(m->find("X-External: yes") != std::string::npos, *m);

    auto bad = world().internet("billing@vendor.example", {"alice@example.com"});
    bad.headers = {subject_header("tool"), "Content-Type: application/octet-stream; name=\"tool.exe\""};
    auto refused = swaks(bad);
    BOOST_TEST(refused.end_of_data_reply() == "550 5.7.1 Executable attachments are not accepted", refused.transcript);
}

// The shipped example rules on real messages (tests/data/mime-samples): every executable is refused
// at the end of data, whatever the MIME trick; a part bomb and deep nesting are held (quarantine:
// Postfix puts the message on hold); a clean attachment is delivered.
BOOST_AUTO_TEST_CASE(mime_samples_through_postfix) {
    mw::test::TempDir dir("pf-mime");
    auto samples = mime_samples(dir.path());
    std::size_t mark = world().mailwarden->log_size();
    for (const auto& problem : send_mime_samples(samples, world().internet("someone@vendor.example", {"alice@example.com"})))
        BOOST_ERROR(problem);
    BOOST_TEST(world().delivered("The report").has_value());
    BOOST_TEST(world().mailwarden->wait_log("rule=\"Quarantine malformed MIME\"", 20s, mark), world().mailwarden->log());
    BOOST_TEST(world().mailwarden->wait_log("malformed MIME from", 20s, mark));
    BOOST_TEST(world().mailwarden->wait_log("rule=\"No executables from outside\"", 20s, mark));
}

BOOST_AUTO_TEST_CASE(quarantine_bcc_redirect_discard) {
    auto& w = world();
    auto send = [&](const std::string& subject) {
        auto o = w.internet("someone@elsewhere.example", {"bob@example.com"});
        o.headers = {subject_header(subject)};
        auto r = swaks(o);
        BOOST_TEST(r.end_of_data_reply().substr(0, 3) == "250", r.transcript);
        return r.queue_id();
    };
    // Quarantine: Postfix keeps the message on hold ("!" in mailq) instead of delivering it.
    std::string held = send("quarantine-me 1");
    BOOST_TEST(w.stack->postfix.wait_log(held + ": milter-hold: END-OF-MESSAGE"), w.stack->postfix.log());
    BOOST_TEST(w.stack->postfix.mailq().find(held + "!") != std::string::npos, w.stack->postfix.mailq());

    send("bcc-me 2");
    auto bcc = w.delivered("bcc-me 2");
    BOOST_REQUIRE(bcc);
    BOOST_TEST(bcc->find("X-Rcpt-Args: <bob@example.com>") != std::string::npos, *bcc);
    BOOST_TEST(bcc->find("X-Rcpt-Args: <alice@example.com>") != std::string::npos, *bcc);

    send("redirect-me 3");
    auto redirected = w.delivered("redirect-me 3");
    BOOST_REQUIRE(redirected);
    BOOST_TEST(redirected->find("X-Rcpt-Args: <teacher@example.com>") != std::string::npos, *redirected);
    BOOST_TEST(redirected->find("X-Rcpt-Args: <bob@example.com>") == std::string::npos, *redirected);

    std::string dropped = send("discard-me 4");
    BOOST_TEST(w.stack->postfix.wait_log(dropped + ": milter-discard: END-OF-MESSAGE"), w.stack->postfix.log());
    send("after-discard 5");
    BOOST_REQUIRE(w.delivered("after-discard 5"));
    for (const auto& m : w.stack->sink.messages()) BOOST_TEST(m.find("discard-me 4") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(percent_hack_is_not_relayed) {
    auto r = swaks(world().internet("someone@elsewhere.example", {"user%victim.example@example.com"}));
    BOOST_TEST(r.rcpt_reply("user%victim.example@example.com") ==
               "554 5.7.1 <user%victim.example@example.com>: Relay access denied");
}

BOOST_AUTO_TEST_CASE(socketmap_defers_tls_required_domain_without_starttls) {
    auto& w = world();
    auto o = w.submission("teacher@example.com", "teacher-password", {"accounts@bank.example"});
    o.headers = {subject_header("to-the-bank")};
    auto r = swaks(o);
    BOOST_TEST(r.status == 0, r.transcript);
    BOOST_TEST(w.stack->postfix.wait_log("TLS is required, but was not offered by host 127.0.0.1"),
               w.stack->postfix.log());
    BOOST_TEST(w.bank_sink.messages().empty());  // never sent in clear
    BOOST_TEST(!w.stack->postfix.queue_ids().empty());
    auto q = w.stack->postfix.postmap_query("[127.0.0.1]:" + std::to_string(w.bank_sink.port()),
                                            "socketmap:unix:" + (w.stack->postfix.socket_dir() / "socketmap.sock").string() +
                                                ":tlspolicy");
    BOOST_TEST(q.out == "encrypt\n");
}

// --- the daemon's life: reloads, stops and crashes under traffic ----------------------------------

namespace {

const char* const v2_rule = R"([[transport_rule]]
name = "Rules version 2"
priority = 90
if = { from_scope = "outside" }
then = { add_header = { X-Rules = "v2" } }
)";

// A session held open at RCPT while something happens to the daemon, then finished.
std::string finish_message(SmtpSession& s, const std::string& subject) {
    return s.send_data("From: someone@elsewhere.example\nTo: bob@example.com\nSubject: " + subject + "\n\nbody\n");
}

void open_transaction(SmtpSession& s) {
    BOOST_TEST(s.command("EHLO client.example").substr(0, 3) == "250");
    BOOST_TEST(s.command("MAIL FROM:<someone@elsewhere.example>") == "250 2.1.0 Ok");
    BOOST_TEST(s.command("RCPT TO:<bob@example.com>") == "250 2.1.5 Ok");
}

}  // namespace

BOOST_AUTO_TEST_CASE(hot_reload_under_a_stream_of_sessions_loses_nothing) {
    auto& w = world();
    std::uint64_t before = w.mailwarden->generation();
    BOOST_REQUIRE(before > 0);

    // A session that started before the edit keeps the rules it started with.
    SmtpSession held("127.0.0.1", w.stack->postfix.port(0));
    open_transaction(held);

    constexpr int messages = 30;
    std::atomic<int> sent{0}, failed{0};
    std::string failures;
    std::thread stream([&] {
        for (int i = 0; i < messages; ++i) {
            auto o = w.internet("someone@elsewhere.example", {"bob@example.com"});
            o.headers = {subject_header("stream-" + std::to_string(i))};
            auto r = swaks(o);
            if (r.status != 0) {
                failed++;
                failures += r.transcript;
            }
            sent++;
        }
    });
    wait_for([&] { return sent >= 5; }, 60s);
    // An edit saved in the rules directory is picked up by itself...
    w.mailwarden->write_rule_file("60-reload.toml", v2_rule);
    BOOST_TEST(wait_for([&] { return w.mailwarden->generation() > before; }, 20s), w.mailwarden->log());
    // ...and `mailwarden reload` reloads at once and names the generation.
    auto reload = w.mailwarden->reload();
    BOOST_TEST(reload.status == 0, reload.err);
    BOOST_TEST(reload.out.rfind("generation ", 0) == 0u, reload.out);
    stream.join();
    BOOST_TEST(failed == 0, failures);
    for (int i = 0; i < messages; ++i)
        BOOST_TEST(w.delivered("stream-" + std::to_string(i)).has_value(), "stream-" << i << " lost");
    auto last = w.delivered("stream-" + std::to_string(messages - 1));
    BOOST_REQUIRE(last);
    BOOST_TEST(last->find("X-Rules: v2") != std::string::npos, *last);

    BOOST_TEST(finish_message(held, "held-across-reload").substr(0, 3) == "250");
    held.command("QUIT");
    auto old = w.delivered("held-across-reload");
    BOOST_REQUIRE(old);
    BOOST_TEST(old->find("X-Rules: v2") == std::string::npos, "the session in flight saw the new rules:\n" << *old);
}

BOOST_AUTO_TEST_CASE(a_broken_edit_keeps_the_old_rules) {
    auto& w = world();
    std::uint64_t before = w.mailwarden->generation();
    std::size_t mark = w.mailwarden->log_size();
    w.mailwarden->write_rule_file("61-broken.toml", "[[transport_rule]]\nname = \"broken\"\nthen = { reject = 42 }\n");
    BOOST_TEST(w.mailwarden->wait_log("failed", 20s, mark), w.mailwarden->log());
    auto reload = w.mailwarden->reload();
    BOOST_TEST(reload.status == 1);
    BOOST_TEST(reload.err.find("61-broken.toml:3:") != std::string::npos, reload.err);
    BOOST_TEST(reload.err.find("keeps generation " + std::to_string(before)) != std::string::npos, reload.err);
    BOOST_TEST(w.mailwarden->generation() == before);

    auto o = w.internet("someone@elsewhere.example", {"bob@example.com"});
    o.headers = {subject_header("after-broken-edit")};
    BOOST_TEST(swaks(o).status == 0);
    auto m = w.delivered("after-broken-edit");
    BOOST_REQUIRE(m);
    BOOST_TEST(m->find("X-Rules: v2") != std::string::npos, *m);  // the last good rules still apply

    std::filesystem::remove(w.mailwarden->rules_dir() / "61-broken.toml");
    std::filesystem::remove(w.mailwarden->rules_dir() / "60-reload.toml");
    BOOST_TEST(w.mailwarden->reload().status == 0);
}

BOOST_AUTO_TEST_CASE(sigterm_finishes_sessions_in_flight) {
    auto& w = world();
    SmtpSession held("127.0.0.1", w.stack->postfix.port(0));
    open_transaction(held);
    std::thread stopper([&] { w.mailwarden->stop(); });
    BOOST_TEST(w.mailwarden->wait_log("stopping"), w.mailwarden->log());
    std::string reply = finish_message(held, "finished-while-stopping");
    held.command("QUIT");
    stopper.join();
    BOOST_TEST(reply.substr(0, 3) == "250", reply << "\n" << w.mailwarden->log() << w.stack->postfix.log());
    auto m = w.delivered("finished-while-stopping");
    BOOST_REQUIRE(m);
    BOOST_TEST(m->find("X-Mailwarden-AuthAs: Anonymous") != std::string::npos, *m);
    w.mailwarden->start();
}

BOOST_AUTO_TEST_CASE(mailwarden_killed_postfix_tempfails_and_nothing_is_lost) {
    auto& w = world();
    auto first = w.internet("someone@elsewhere.example", {"bob@example.com"});
    first.headers = {subject_header("before-the-crash")};
    BOOST_TEST(swaks(first).status == 0);
    BOOST_REQUIRE(w.delivered("before-the-crash"));

    // A session at RCPT when the daemon vanishes: its message is refused with 4xx, not accepted unfiltered.
    auto queued_before = w.stack->postfix.queue_ids();  // e.g. the bank's message, waiting for TLS
    SmtpSession held("127.0.0.1", w.stack->postfix.port(0));
    open_transaction(held);
    w.mailwarden->kill_hard();
    std::string held_reply = finish_message(held, "in-flight-at-crash");
    BOOST_TEST(held_reply.substr(0, 1) == "4", held_reply);

    auto o = w.internet("someone@elsewhere.example", {"bob@example.com"});
    o.headers = {subject_header("during-the-outage")};
    auto r = swaks(o);
    BOOST_TEST(r.mail_reply() == "451 4.7.1 Service unavailable - try again later", r.transcript);
    BOOST_TEST(w.stack->postfix.queue_ids() == queued_before, w.stack->postfix.mailq());

    w.mailwarden->start();
    auto again = w.internet("someone@elsewhere.example", {"bob@example.com"});
    again.headers = {subject_header("after-the-restart")};
    auto ok = swaks(again);
    BOOST_TEST(ok.status == 0, ok.transcript);
    BOOST_TEST(w.delivered("after-the-restart").has_value());
    for (const auto& m : w.stack->sink.messages()) {
        BOOST_TEST(m.find("Subject: during-the-outage") == std::string::npos);
        BOOST_TEST(m.find("Subject: in-flight-at-crash") == std::string::npos);
    }
}
