// mailwarden as a standalone MTA: its own ESMTP server, durable queue and Maildir delivery, driven
// by real clients (swaks, Python's smtplib, raw sockets for pipelining and BDAT). Each case asserts
// the exact replies of README "Replies" and what lands in the mailbox.
#define BOOST_TEST_MODULE standalone_smtp
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>

#include "support/mime_samples.hpp"
#include "support/net.hpp"
#include "support/process.hpp"
#include "support/smtp_session.hpp"
#include "support/standalone_world.hpp"
#include "support/swaks.hpp"

using namespace mw::itest;
namespace fs = std::filesystem;

namespace {

std::size_t count(const std::string& text, const std::string& needle) {
    std::size_t n = 0;
    for (std::size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
    return n;
}

struct World {
    mw::test::TempDir pki_dir{"pki"};
    Pki pki{pki_dir.path()};
    mw::test::TempDir dir{"sa"};
    StandaloneWorld mta{dir.path() / "mta", pki};
    World() { mta.daemon().start(); }
};

World& world() {
    static World w;
    return w;
}

SwaksOptions with_subject(SwaksOptions o, const std::string& subject) {
    o.headers = {"Subject: " + subject};
    return o;
}

}  // namespace

BOOST_AUTO_TEST_CASE(greeting_and_ehlo_offer_every_extension) {
    SmtpSession s("127.0.0.1", world().mta.smtp_port());
    BOOST_TEST(s.greeting() == "220 mx.example.com ESMTP mailwarden");
    std::string ehlo = s.command("EHLO client.example");
    for (const char* keyword : {"PIPELINING", "SIZE 35000000", "8BITMIME", "SMTPUTF8", "ENHANCEDSTATUSCODES", "STARTTLS",
                                "CHUNKING", "DSN"})
        BOOST_TEST(ehlo.find(keyword) != std::string::npos, keyword << " missing in\n" << ehlo);
    // The Internet connector takes no logins.
    BOOST_TEST(ehlo.find("AUTH") == std::string::npos, ehlo);
    BOOST_TEST(s.command("VRFY bob") == "252 2.0.0 Cannot VRFY user, but will accept message and attempt delivery");
    BOOST_TEST(s.command("NOOP") == "250 2.0.0 Ok");
    BOOST_TEST(s.command("HELP").rfind("214 ", 0) == 0u);
    BOOST_TEST(s.command("FOO") == "500 5.5.1 Command unrecognized");
    BOOST_TEST(s.command("RCPT TO:<bob@example.com>") == "503 5.5.1 Error: need MAIL command");
    BOOST_TEST(s.command("DATA") == "503 5.5.1 Error: need MAIL command");
    BOOST_TEST(s.command("MAIL FROM:<a@elsewhere.example> FOO=BAR").rfind("555 5.5.4", 0) == 0u);
    BOOST_TEST(s.command("MAIL FROM:<a@elsewhere.example>") == "250 2.1.0 Ok");
    BOOST_TEST(s.command("MAIL FROM:<a@elsewhere.example>") == "503 5.5.1 Error: nested MAIL command");
    BOOST_TEST(s.command("QUIT") == "221 2.0.0 Bye");
}

BOOST_AUTO_TEST_CASE(accepted_mail_is_queued_then_delivered_to_maildir) {
    auto r = swaks(with_subject(world().mta.internet("someone@elsewhere.example", {"bob@example.com"}), "maildir-1"));
    BOOST_TEST(r.status == 0, r.transcript);
    std::string id = r.queue_id();
    BOOST_TEST(id.size() == 16u, r.transcript);
    auto m = world().mta.wait_message("bob", "Subject: maildir-1");
    BOOST_REQUIRE(m);
    // Return-Path and Delivered-To on top, then our Received: with the queue id, then the stamp.
    BOOST_TEST(m->rfind("Return-Path: <someone@elsewhere.example>\nDelivered-To: bob@example.com\nReceived: from client.example", 0) == 0u, *m);
    BOOST_TEST(m->find("by mx.example.com (mailwarden) with ESMTP id " + id) != std::string::npos, *m);
    BOOST_TEST(count(*m, "X-Mailwarden-AuthAs: Anonymous") == 1u, *m);
    BOOST_TEST(m->find('\r') == std::string::npos, "Maildir files use LF line endings");
    BOOST_TEST(world().mta.daemon().wait_log(id + ": to=<bob@example.com>"), world().mta.daemon().log());
}

BOOST_AUTO_TEST_CASE(policy_replies_are_those_of_the_engine) {
    auto relay = swaks(world().mta.internet("someone@elsewhere.example", {"victim@other.example"}));
    BOOST_TEST(relay.rcpt_reply("victim@other.example") == "554 5.7.1 <victim@other.example>: Relay access denied");
    auto unknown = swaks(world().mta.internet("someone@elsewhere.example", {"nobody@example.com"}));
    BOOST_TEST(unknown.rcpt_reply("nobody@example.com") == "550 5.1.1 <nobody@example.com>: User unknown");
    auto spoof = swaks(world().mta.internet("ceo@example.com", {"bob@example.com"}));
    BOOST_TEST(spoof.mail_reply() == "550 5.7.1 <ceo@example.com>: Not authorized to send as this sender");
    auto bank = swaks(world().mta.internet("clerk@bank.example", {"bob@example.com"}));
    BOOST_TEST(bank.mail_reply() == "530 5.7.0 Must issue a STARTTLS command first");
    auto log = world().mta.daemon().log();
    BOOST_TEST(log.find("NOQUEUE: reject: RCPT from unknown[127.0.0.1]: 554 5.7.1 <victim@other.example>: Relay access denied;") !=
                   std::string::npos,
               log);
}

BOOST_AUTO_TEST_CASE(maildir_name_rule_refuses_unsafe_local_parts) {
    // open.example has no recipient list: the local part itself names the Maildir.
    auto ok = swaks(with_subject(world().mta.internet("someone@elsewhere.example", {"Carol.Smith+x@open.example"}), "open-1"));
    BOOST_TEST(ok.status == 0, ok.transcript);
    BOOST_TEST(world().mta.wait_message("carol.smith+x", "Subject: open-1", 20s, "open.example").has_value());
    for (std::string bad : {"..@open.example", ".hidden@open.example", "\"a/b\"@open.example"}) {
        auto r = swaks(world().mta.internet("someone@elsewhere.example", {bad}));
        // Refused either as bad syntax (501) or by the Maildir name rule (550).
        BOOST_TEST(r.transcript.find(" 5.1.3 ") != std::string::npos, r.transcript);
    }
}

BOOST_AUTO_TEST_CASE(submission_needs_tls_then_auth_and_owns_the_sender) {
    auto& mta = world().mta;
    {
        SmtpSession s("127.0.0.1", mta.submission_port());
        std::string ehlo = s.command("EHLO client.example");
        BOOST_TEST(ehlo.find("STARTTLS") != std::string::npos, ehlo);
        BOOST_TEST(ehlo.find("AUTH") == std::string::npos, "no AUTH before TLS on basic-require-tls: " << ehlo);
        BOOST_TEST(s.command("AUTH PLAIN AGFsaWNlAGFsaWNlLXNlY3JldA==") ==
                   "538 5.7.11 Encryption required for requested authentication mechanism");
        BOOST_TEST(s.command("MAIL FROM:<alice@example.com>") == "530 5.7.0 Must issue a STARTTLS command first");
    }
    auto good = swaks(with_subject(mta.submission("alice", "alice-secret", {"bob@example.com"}), "submit-1"));
    BOOST_TEST(good.status == 0, good.transcript);
    BOOST_TEST(good.auth_reply() == "235 2.7.0 Authentication successful", good.transcript);
    auto m = mta.wait_message("bob", "Subject: submit-1");
    BOOST_REQUIRE(m);
    BOOST_TEST(m->find("with ESMTPSA id") != std::string::npos, *m);
    BOOST_TEST(m->find("(using TLSv1.3 with cipher ") != std::string::npos, *m);
    BOOST_TEST(count(*m, "X-Mailwarden-AuthAs: Authenticated") == 1u, *m);
    BOOST_TEST(m->find("Authentication-Results: mx.example.com; auth=pass smtp.auth=alice") != std::string::npos, *m);

    auto o = mta.submission("alice", "alice-secret", {"bob@example.com"});
    o.from = "teacher@example.com";
    auto borrowed = swaks(o);
    BOOST_TEST(borrowed.mail_reply() == "553 5.7.1 <teacher@example.com>: Sender address rejected: not owned by user alice");
    // A bare login is LOGIN@ the first authoritative domain only: not the same name in our other
    // domain, and so not a member of a group named by one; alice may write outside.
    auto elsewhere = mta.submission("alice", "alice-secret", {"bob@example.com"});
    elsewhere.from = "alice@open.example";
    BOOST_TEST(swaks(elsewhere).mail_reply() ==
               "553 5.7.1 <alice@open.example>: Sender address rejected: not owned by user alice");
    auto outward = mta.submission("alice", "alice-secret", {"friend@elsewhere.example"});
    outward.quit_after = "RCPT";  // outbound delivery does not exist yet: nothing is queued
    BOOST_TEST(swaks(outward).rcpt_reply("friend@elsewhere.example") == "250 2.1.5 Ok");

    auto wrong = swaks(mta.submission("alice", "not-the-password", {"bob@example.com"}));
    BOOST_TEST(wrong.auth_reply() == "535 5.7.8 Authentication credentials invalid", wrong.transcript);
    auto login = mta.submission("kid1", "kid1-secret", {"bob@example.com"});
    login.auth = "LOGIN";
    auto r = swaks(login);
    BOOST_TEST(r.auth_reply() == "235 2.7.0 Authentication successful", r.transcript);
    // Students may not write outside; the restriction follows the login.
    auto outside = mta.submission("kid1", "kid1-secret", {"friend@elsewhere.example"});
    auto refused = swaks(outside);
    BOOST_TEST(refused.rcpt_reply("friend@elsewhere.example") ==
               "550 5.7.1 Students may not send mail outside the school");
    std::string log = mta.daemon().log();
    BOOST_TEST(log.find("not-the-password") == std::string::npos, "a password reached the log");
    BOOST_TEST(log.find("SASL PLAIN authentication failed: sasl_username=alice") != std::string::npos, log);
}

BOOST_AUTO_TEST_CASE(partner_over_mutual_tls_is_domain_secure) {
    auto o = with_subject(world().mta.internet("billing@partner.example", {"bob@example.com"}), "partner-1");
    o.tls = true;
    o.tls_cert = world().pki.partner_client().pem;
    o.tls_key = world().pki.partner_client().pem;
    auto r = swaks(o);
    BOOST_TEST(r.status == 0, r.transcript);
    auto m = world().mta.wait_message("bob", "Subject: partner-1");
    BOOST_REQUIRE(m);
    BOOST_TEST(m->find("X-Mailwarden-Domain-Secure: pass domain=partner.example; tls=TLSv1.3") != std::string::npos, *m);
    BOOST_TEST(count(*m, "X-Mailwarden-AuthAs: Partner") == 1u, *m);

    auto untrusted = o;
    untrusted.tls_cert = world().pki.untrusted_client().pem;
    untrusted.tls_key = world().pki.untrusted_client().pem;
    auto bad = swaks(untrusted);
    BOOST_TEST(bad.mail_reply() ==
               "454 4.7.5 <billing@partner.example>: Certificate validation failure for partner.example");
    // Without TLS there is no certificate either: the same temporary refusal.
    auto plain = swaks(world().mta.internet("billing@partner.example", {"bob@example.com"}));
    BOOST_TEST(plain.mail_reply() ==
               "454 4.7.5 <billing@partner.example>: Certificate validation failure for partner.example");
}

BOOST_AUTO_TEST_CASE(header_firewall_removes_forged_stamps) {
    auto o = with_subject(world().mta.internet("someone@elsewhere.example", {"bob@example.com"}), "forged-1");
    o.add_headers = {"X-Mailwarden-AuthAs: Internal", "X-Mailwarden-Domain-Secure: pass domain=example.com",
                     "Authentication-Results: mx.example.com; auth=pass smtp.auth=ceo"};
    auto r = swaks(o);
    BOOST_TEST(r.status == 0, r.transcript);
    auto m = world().mta.wait_message("bob", "Subject: forged-1");
    BOOST_REQUIRE(m);
    BOOST_TEST(m->find("AuthAs: Internal") == std::string::npos, *m);
    BOOST_TEST(m->find("Domain-Secure") == std::string::npos, *m);
    BOOST_TEST(m->find("smtp.auth=ceo") == std::string::npos, *m);
    BOOST_TEST(count(*m, "X-Mailwarden-AuthAs: Anonymous") == 1u, *m);
}

BOOST_AUTO_TEST_CASE(transport_rules_redirect_bcc_discard_and_quarantine) {
    auto& mta = world().mta;
    auto bcc = swaks(with_subject(mta.internet("someone@elsewhere.example", {"bob@example.com"}), "bcc-me 1"));
    BOOST_TEST(bcc.status == 0, bcc.transcript);
    BOOST_TEST(mta.wait_message("bob", "Subject: bcc-me 1").has_value());
    BOOST_TEST(mta.wait_message("alice", "Subject: bcc-me 1").has_value());
    auto redirect = swaks(with_subject(mta.internet("someone@elsewhere.example", {"bob@example.com"}), "redirect-me 1"));
    BOOST_TEST(redirect.status == 0, redirect.transcript);
    BOOST_TEST(mta.wait_message("teacher", "Subject: redirect-me 1").has_value());
    auto discard = swaks(with_subject(mta.internet("someone@elsewhere.example", {"bob@example.com"}), "discard-me 1"));
    BOOST_TEST(discard.end_of_data_reply() == "250 2.0.0 Ok: discarded", discard.transcript);
    auto held = swaks(with_subject(mta.internet("someone@elsewhere.example", {"bob@example.com"}), "quarantine-me 1"));
    std::string id = held.queue_id();
    BOOST_REQUIRE(!id.empty());
    // Quarantined mail waits on hold in the queue for an admin.
    auto list = mta.queue({"list"});
    BOOST_TEST(list.out.find(id + "!") != std::string::npos, list.out);
    BOOST_TEST(!mta.wait_message("bob", "Subject: quarantine-me 1", 1500ms).has_value());
    BOOST_TEST(!mta.wait_message("bob", "Subject: redirect-me 1", 10ms).has_value());
    BOOST_TEST(!mta.wait_message("bob", "Subject: discard-me 1", 10ms).has_value());
    BOOST_TEST(mta.queue({"release", id}).status == 0);
    BOOST_TEST(mta.queue({"flush"}).status == 0);
    BOOST_TEST(mta.wait_message("bob", "Subject: quarantine-me 1").has_value());
}

// The shipped example rules on real messages (tests/data/mime-samples), over DATA and over BDAT:
// every executable is refused at the end of data, malformed MIME waits on hold, a clean attachment
// reaches the mailbox.
BOOST_AUTO_TEST_CASE(mime_samples_through_the_standalone_server) {
    auto& mta = world().mta;
    mw::test::TempDir dir("sa-mime");
    auto samples = mime_samples(dir.path());
    std::size_t mark = mta.daemon().log_size();
    for (const auto& problem : send_mime_samples(samples, mta.internet("someone@vendor.example", {"alice@example.com"})))
        BOOST_ERROR(problem);
    BOOST_TEST(mta.wait_message("alice", "Subject: The report").has_value());
    BOOST_TEST(mta.daemon().wait_log("rule=\"Quarantine malformed MIME\"", 20s, mark), mta.daemon().log());
    BOOST_TEST(mta.daemon().wait_log("malformed MIME from", 20s, mark));
    auto list = mta.queue({"list"});
    BOOST_TEST(list.out.find("!") != std::string::npos, list.out);  // held: quarantined
    // BDAT: the same inspection once the last chunk is in (the message in two chunks, CRLF).
    for (const auto& sample : samples) {
        if (sample.name != "outlook.eml" && sample.name != "forwarded.eml") continue;
        std::string crlf;
        for (char c : sample.message) {
            if (c == '\n') crlf += '\r';
            crlf += c;
        }
        std::string first = crlf.substr(0, crlf.size() / 2), second = crlf.substr(crlf.size() / 2);
        SmtpSession s("127.0.0.1", mta.smtp_port());
        s.command("EHLO client.example");
        BOOST_TEST(s.command("MAIL FROM:<someone@vendor.example>") == "250 2.1.0 Ok");
        BOOST_TEST(s.command("RCPT TO:<alice@example.com>") == "250 2.1.5 Ok");
        s.send_raw("BDAT " + std::to_string(first.size()) + "\r\n" + first);
        BOOST_TEST(s.read_reply() == "250 2.0.0 " + std::to_string(first.size()) + " bytes received");
        s.send_raw("BDAT " + std::to_string(second.size()) + " LAST\r\n" + second);
        BOOST_TEST(s.read_reply() == "550 5.7.1 Executable attachments are not accepted", sample.name);
    }
}

BOOST_AUTO_TEST_CASE(mail_for_other_domains_stays_queued) {
    auto& mta = world().mta;
    auto o = with_subject(mta.internet("app@example.com", {"customer@elsewhere.example"}), "relay-1");
    o.extra_args = {"--local-interface", "127.0.0.10"};
    auto r = swaks(o);
    BOOST_TEST(r.status == 0, r.transcript);
    std::string id = r.queue_id();
    BOOST_REQUIRE(!id.empty());
    auto list = mta.queue({"list"});
    BOOST_TEST(list.status == 0, list.err);
    BOOST_TEST(list.out.find(id) != std::string::npos, list.out);
    BOOST_TEST(list.out.find("customer@elsewhere.example") != std::string::npos, list.out);
    auto show = mta.queue({"show", id});
    BOOST_TEST(show.out.find("Subject: relay-1") != std::string::npos, show.out);
    BOOST_TEST(mta.queue({"hold", id}).status == 0);
    BOOST_TEST(mta.queue({"list"}).out.find(id + "!") != std::string::npos);
    BOOST_TEST(mta.queue({"release", id}).status == 0);
    BOOST_TEST(mta.queue({"delete", id}).status == 0);
    BOOST_TEST(mta.queue({"list"}).out.find(id) == std::string::npos);
    BOOST_TEST(mta.queue({"show", "0000000000000000"}).status == 1);
}

BOOST_AUTO_TEST_CASE(pipelining_and_bdat) {
    auto& mta = world().mta;
    SmtpSession s("127.0.0.1", mta.smtp_port());
    s.command("EHLO client.example");
    // RFC 2920: the whole transaction in one write; the replies come back in order.
    s.send_raw("MAIL FROM:<someone@elsewhere.example>\r\nRCPT TO:<bob@example.com>\r\nRCPT TO:<nobody@example.com>\r\n"
               "RCPT TO:<alice@example.com>\r\nDATA\r\n");
    BOOST_TEST(s.read_reply() == "250 2.1.0 Ok");
    BOOST_TEST(s.read_reply() == "250 2.1.5 Ok");
    BOOST_TEST(s.read_reply() == "550 5.1.1 <nobody@example.com>: User unknown");
    BOOST_TEST(s.read_reply() == "250 2.1.5 Ok");
    BOOST_TEST(s.read_reply().rfind("354 ", 0) == 0u);
    s.send_raw("Subject: pipelined-1\r\n\r\n..leading dot\r\n.\r\n");
    BOOST_TEST(s.read_reply().rfind("250 2.0.0 Ok: queued as ", 0) == 0u);
    auto m = mta.wait_message("alice", "Subject: pipelined-1");
    BOOST_REQUIRE(m);
    BOOST_TEST(m->find("\n.leading dot\n") != std::string::npos, *m);

    // RFC 3030 CHUNKING: two chunks, the second LAST.
    std::string part1 = "Subject: bdat-1\r\n\r\nfirst ";
    std::string part2 = "chunk and second\r\n";
    // The same recipient twice (in another case) is delivered once.
    s.send_raw("MAIL FROM:<someone@elsewhere.example> BODY=8BITMIME\r\nRCPT TO:<bob@example.com>\r\n"
               "RCPT TO:<Bob@Example.COM>\r\nBDAT " +
               std::to_string(part1.size()) + "\r\n" + part1);
    BOOST_TEST(s.read_reply() == "250 2.1.0 Ok");
    BOOST_TEST(s.read_reply() == "250 2.1.5 Ok");
    BOOST_TEST(s.read_reply() == "250 2.1.5 Ok");
    BOOST_TEST(s.read_reply() == "250 2.0.0 " + std::to_string(part1.size()) + " bytes received");
    s.send_raw("BDAT " + std::to_string(part2.size()) + " LAST\r\n" + part2);
    BOOST_TEST(s.read_reply().rfind("250 2.0.0 Ok: queued as ", 0) == 0u);
    auto b = mta.wait_message("bob", "Subject: bdat-1");
    BOOST_REQUIRE(b);
    BOOST_TEST(b->find("first chunk and second\n") != std::string::npos, *b);
    std::this_thread::sleep_for(500ms);
    std::size_t copies = 0;
    for (const auto& m : mta.mailbox("bob")) copies += m.find("Subject: bdat-1") != std::string::npos;
    BOOST_TEST(copies == 1u);
}

BOOST_AUTO_TEST_CASE(python_smtplib_with_dsn_smtputf8_and_8bit) {
    auto& mta = world().mta;
    std::string script = R"PY(
import smtplib, sys
from email.message import EmailMessage
m = EmailMessage()
m["From"] = "José <jose@elsewhere.example>"
m["To"] = "bob@example.com"
m["Subject"] = "smtplib-1 café"
m.set_content("Grüße aus Köln\n")
with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), local_hostname="py.example") as s:
    s.ehlo()
    assert s.has_extn("smtputf8") and s.has_extn("dsn") and s.has_extn("8bitmime")
    refused = s.send_message(m, from_addr="jose@elsewhere.example", to_addrs=["bob@example.com"],
                             mail_options=["SMTPUTF8", "BODY=8BITMIME", "RET=HDRS", "ENVID=env+2B1"],
                             rcpt_options=["NOTIFY=SUCCESS,FAILURE", "ORCPT=rfc822;bob@example.com"])
    assert not refused, refused
print("sent")
)PY";
    auto r = run_capture({"python3", "-c", script, std::to_string(mta.smtp_port())});
    BOOST_TEST(r.status == 0, r.out << r.err);
    auto m = mta.wait_message("bob", "smtplib-1");
    BOOST_REQUIRE(m);
    BOOST_TEST(m->find("with UTF8SMTP id") != std::string::npos, *m);
    BOOST_TEST((m->find("Grüße") != std::string::npos || m->find("R3L") != std::string::npos), *m);
    // NOTIFY=SUCCESS: the sender gets a delivery report (it stays queued: elsewhere.example is remote).
    auto list = mta.queue({"list", "--json"});
    BOOST_TEST(list.out.find("\"jose@elsewhere.example\"") != std::string::npos, list.out);
}

// Volume: Postfix's smtp-source, 300 messages over 10 parallel sessions; every one is delivered.
BOOST_AUTO_TEST_CASE(smtp_source_volume_is_delivered) {
    auto& mta = world().mta;
    std::size_t before = mta.mailbox("teacher").size();
    auto r = run_capture({"smtp-source", "-s", "10", "-m", "300", "-l", "1000", "-f", "load@elsewhere.example", "-t",
                          "teacher@example.com", "127.0.0.1:" + std::to_string(mta.smtp_port())},
                         {}, 120s);
    BOOST_TEST(r.status == 0, r.out << r.err);
    auto deadline = std::chrono::steady_clock::now() + 60s;
    while (mta.mailbox("teacher").size() < before + 300 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(100ms);
    BOOST_TEST(mta.mailbox("teacher").size() == before + 300);
    BOOST_TEST(mta.queue({"list"}).out.find("teacher@example.com") == std::string::npos);
}

// HELP names what this connector offers: AUTH only where a login can ever be given.
BOOST_AUTO_TEST_CASE(help_lists_auth_only_where_it_is_offered) {
    SmtpSession internet("127.0.0.1", world().mta.smtp_port());
    std::string help = internet.command("HELP");
    BOOST_TEST(help.rfind("214 2.0.0 ", 0) == 0u, help);
    BOOST_TEST(help.find("STARTTLS") != std::string::npos, help);
    BOOST_TEST(help.find("AUTH") == std::string::npos, help);
    SmtpSession submission("127.0.0.1", world().mta.submission_port());
    help = submission.command("HELP");
    BOOST_TEST(help.find("AUTH") != std::string::npos, help);
}

namespace {

// `openssl s_client -starttls smtp` at one protocol version with the given cipher list (TLS 1.2) or
// suites (TLS 1.3); it ends the session as soon as the handshake is done (stdin is empty).
RunResult s_client(const std::string& version, const std::string& ciphers, std::vector<std::string> extra = {}) {
    std::vector<std::string> argv{"openssl", "s_client", "-connect", "127.0.0.1:" + std::to_string(world().mta.smtp_port()),
                                  "-starttls", "smtp", "-name", "client.example", "-brief", "-no_ign_eof", version};
    if (!ciphers.empty()) argv.insert(argv.end(), {version == "-tls1_3" ? "-ciphersuites" : "-cipher", ciphers});
    argv.insert(argv.end(), extra.begin(), extra.end());
    return run_capture(argv, {}, 30s, true);
}

}  // namespace

// A failed handshake is logged with OpenSSL's reason: here the alert of a client that does not trust
// our certificate.
BOOST_AUTO_TEST_CASE(tls_handshake_failure_names_the_alert_the_client_sent) {
    auto& daemon = world().mta.daemon();
    std::size_t mark = daemon.log_size();
    auto untrusting = s_client("-tls1_3", "", {"-verify_return_error", "-CAfile", world().pki.partner_ca().cert.string()});
    BOOST_TEST(untrusting.status != 0, untrusting.out);
    BOOST_TEST(daemon.wait_log("TLS handshake failed with unknown[127.0.0.1]: ", 20s, mark), daemon.log().substr(mark));
    BOOST_TEST(daemon.wait_log("alert unknown ca", 20s, mark), daemon.log().substr(mark));
}

// Mozilla's "intermediate" profile: at TLS 1.2 only ECDHE with AES-GCM or ChaCha20-Poly1305 (no CBC:
// LUCKY13), TLS 1.3 unchanged.
BOOST_AUTO_TEST_CASE(tls12_offers_only_aead_suites) {
    auto& daemon = world().mta.daemon();
    std::size_t mark = daemon.log_size();
    auto cbc = s_client("-tls1_2", "ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA:ECDHE-ECDSA-AES128-SHA256:"
                                   "ECDHE-ECDSA-AES256-SHA384:ECDHE-RSA-AES128-SHA:AES128-SHA:AES256-SHA256");
    BOOST_TEST(cbc.status != 0, cbc.out);
    BOOST_TEST(cbc.out.find("Ciphersuite:") == std::string::npos, cbc.out);
    BOOST_TEST(daemon.wait_log("TLS handshake failed with unknown[127.0.0.1]: error:", 20s, mark), daemon.log().substr(mark));
    BOOST_TEST(daemon.wait_log(":no shared cipher\n", 20s, mark), daemon.log().substr(mark));
    for (std::string suite : {"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-ECDSA-CHACHA20-POLY1305"}) {
        auto aead = s_client("-tls1_2", suite);
        BOOST_TEST(aead.status == 0, aead.out);
        BOOST_TEST(aead.out.find("Ciphersuite: " + suite) != std::string::npos, aead.out);
    }
    for (std::string suite : {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"}) {
        auto tls13 = s_client("-tls1_3", suite);
        BOOST_TEST(tls13.status == 0, tls13.out);
        BOOST_TEST(tls13.out.find("Ciphersuite: " + suite) != std::string::npos, tls13.out);
    }
}

// Postfix's `disconnect from` line, which admins grep for: per command the successes, and
// successes/attempts when some failed.
BOOST_AUTO_TEST_CASE(disconnect_line_counts_commands_as_postfix_does) {
    auto& mta = world().mta;
    std::size_t mark = mta.daemon().log_size();
    {
        SmtpSession s("127.0.0.1", mta.smtp_port());
        s.command("EHLO client.example");
        BOOST_TEST(s.command("MAIL FROM:<someone@elsewhere.example>") == "250 2.1.0 Ok");
        BOOST_TEST(s.command("RCPT TO:<bob@example.com>") == "250 2.1.5 Ok");
        BOOST_TEST(s.command("RCPT TO:<nobody@example.com>") == "550 5.1.1 <nobody@example.com>: User unknown");
        BOOST_TEST(s.send_data("Subject: counted-1\n\nhello\n").rfind("250 2.0.0 Ok: queued as ", 0) == 0u);
        BOOST_TEST(s.command("QUIT") == "221 2.0.0 Bye");
    }
    BOOST_TEST(mta.daemon().wait_log("smtp: disconnect from unknown[127.0.0.1] ehlo=1 mail=1 rcpt=1/2 data=1 quit=1 commands=5/6\n",
                                     20s, mark),
               mta.daemon().log().substr(mark));

    // Failures, a command we do not know, and a client that leaves without QUIT.
    mark = mta.daemon().log_size();
    {
        SmtpSession s("127.0.0.1", mta.smtp_port());
        BOOST_TEST(s.command("HELO").rfind("501 5.5.4", 0) == 0u);
        s.command("EHLO client.example");
        BOOST_TEST(s.command("NOOP") == "250 2.0.0 Ok");
        BOOST_TEST(s.command("VRFY bob").rfind("252 ", 0) == 0u);
        BOOST_TEST(s.command("BOGUS") == "500 5.5.1 Command unrecognized");
        BOOST_TEST(s.command("MAIL FROM:<ceo@example.com>").rfind("550 5.7.1", 0) == 0u);
        BOOST_TEST(s.command("RSET") == "250 2.0.0 Ok");
    }
    BOOST_TEST(mta.daemon().wait_log("smtp: disconnect from unknown[127.0.0.1] helo=0/1 ehlo=1 mail=0/1 rset=1 noop=1 vrfy=1 "
                                     "unknown=0/1 commands=4/7\n",
                                     20s, mark),
               mta.daemon().log().substr(mark));

    // STARTTLS and AUTH, by the names Postfix gives them.
    mark = mta.daemon().log_size();
    auto r = swaks(with_subject(mta.submission("alice", "alice-secret", {"bob@example.com"}), "counted-2"));
    BOOST_TEST(r.status == 0, r.transcript);
    BOOST_TEST(mta.daemon().wait_log("smtp: disconnect from unknown[127.0.0.1] ehlo=2 starttls=1 auth=1 mail=1 rcpt=1 data=1 "
                                     "quit=1 commands=8\n",
                                     20s, mark),
               mta.daemon().log().substr(mark));
}

// RFC 3030: RSET ends a BDAT transfer, one in progress as well as one that failed.
BOOST_AUTO_TEST_CASE(rset_ends_a_bdat_transfer_in_progress_or_failed) {
    auto& mta = world().mta;
    SmtpSession s("127.0.0.1", mta.limits_port());
    s.command("EHLO client.example");
    std::string aborted = "Subject: bdat-aborted\r\n\r\nnever delivered\r\n";
    BOOST_TEST(s.command("MAIL FROM:<someone@elsewhere.example>") == "250 2.1.0 Ok");
    BOOST_TEST(s.command("RCPT TO:<bob@example.com>") == "250 2.1.5 Ok");
    s.send_raw("BDAT " + std::to_string(aborted.size()) + "\r\n" + aborted);
    BOOST_TEST(s.read_reply() == "250 2.0.0 " + std::to_string(aborted.size()) + " bytes received");
    BOOST_TEST(s.command("RSET") == "250 2.0.0 Ok");
    s.send_raw("BDAT 3 LAST\r\nx\r\n");
    BOOST_TEST(s.read_reply() == "503 5.5.1 Error: need MAIL command");

    // A chunk over the connector's 64KB: every BDAT is refused until RSET.
    BOOST_TEST(s.command("MAIL FROM:<someone@elsewhere.example>") == "250 2.1.0 Ok");
    BOOST_TEST(s.command("RCPT TO:<bob@example.com>") == "250 2.1.5 Ok");
    std::string big(70 * 1024, 'b');
    s.send_raw("BDAT " + std::to_string(big.size()) + "\r\n" + big);
    BOOST_TEST(s.read_reply() == "552 5.3.4 Message size exceeds fixed maximum message size");
    s.send_raw("BDAT 3 LAST\r\nx\r\n");
    BOOST_TEST(s.read_reply() == "503 5.5.1 Error: an earlier BDAT failed; send RSET");
    BOOST_TEST(s.command("RSET") == "250 2.0.0 Ok");

    std::string kept = "Subject: bdat-after-rset\r\n\r\nkept\r\n";
    BOOST_TEST(s.command("MAIL FROM:<someone@elsewhere.example>") == "250 2.1.0 Ok");
    BOOST_TEST(s.command("RCPT TO:<bob@example.com>") == "250 2.1.5 Ok");
    s.send_raw("BDAT " + std::to_string(kept.size()) + " LAST\r\n" + kept);
    BOOST_TEST(s.read_reply().rfind("250 2.0.0 Ok: queued as ", 0) == 0u);
    auto m = mta.wait_message("bob", "Subject: bdat-after-rset");
    BOOST_REQUIRE(m);
    BOOST_TEST(m->find("never delivered") == std::string::npos, *m);
    BOOST_TEST(m->find("bbbb") == std::string::npos);
}

// RFC 5321 section 6.3: a message that has passed max_hops hosts (50, ours included) is a loop,
// refused at the end of DATA, so no bounce travels the loop again.
BOOST_AUTO_TEST_CASE(too_many_received_fields_is_a_loop) {
    auto with_hops = [](std::size_t n, const std::string& subject) {
        SwaksOptions o = with_subject(world().mta.internet("someone@elsewhere.example", {"bob@example.com"}), subject);
        for (std::size_t i = 0; i < n; ++i)
            o.add_headers.push_back("Received: from hop" + std::to_string(i) + ".example by mx.example.net; Mon, 23 Nov 2026 17:30:00 +0000");
        return o;
    };
    auto looping = swaks(with_hops(50, "hops 50"));
    BOOST_TEST(looping.end_of_data_reply() == "554 5.4.6 Too many hops", looping.transcript);
    BOOST_TEST(world().mta.daemon().wait_log("554 5.4.6 Too many hops; rule=\"max_hops 50\""), world().mta.daemon().log());
    auto fine = swaks(with_hops(49, "hops 49"));
    BOOST_TEST(fine.status == 0, fine.transcript);
    BOOST_TEST(world().mta.wait_message("bob", "hops 49").has_value());
}
