// Hostile and broken clients against the standalone server: SMTP smuggling, oversize lines, header
// floods, 10,000 recipients, slow and idle clients, connection floods, TLS garbage, command
// injection after STARTTLS, and nmap's smtp-open-relay. The server must answer as README "Replies" says,
// never split one message into two, and stay up for the next client.
#define BOOST_TEST_MODULE standalone_hostile
#include <boost/test/unit_test.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <thread>

#include "support/net.hpp"
#include "support/process.hpp"
#include "support/smtp_session.hpp"
#include "support/standalone_world.hpp"
#include "support/swaks.hpp"

using namespace mw::itest;
namespace fs = std::filesystem;

namespace {

struct World {
    mw::test::TempDir pki_dir{"pki"};
    Pki pki{pki_dir.path()};
    mw::test::TempDir dir{"sh"};
    StandaloneWorld mta{dir.path() / "mta", pki};
    World() { mta.daemon().start(); }
};

World& world() {
    static World w;
    return w;
}

// The server still serves a plain, complete transaction.
void still_serving(const std::string& tag) {
    auto o = world().mta.internet("someone@elsewhere.example", {"bob@example.com"});
    o.headers = {"Subject: alive " + tag};
    auto r = swaks(o);
    BOOST_TEST(r.status == 0, r.transcript);
    BOOST_TEST(world().mta.wait_message("bob", "Subject: alive " + tag).has_value());
}


}  // namespace

// The published SMTP smuggling sequences (SEC Consult, 2023): each tries to end DATA early and
// start a second, forged transaction inside the first message.
BOOST_AUTO_TEST_CASE(smuggling_never_splits_a_message) {
    const std::vector<std::pair<std::string, std::string>> endings = {
        {"lf-dot-lf", "\n.\n"},         {"lf-dot-crlf", "\n.\r\n"},  {"cr-dot-cr", "\r.\r"},
        {"cr-dot-crlf", "\r.\r\n"},     {"crlf-dot-lf", "\r\n.\n"},  {"crlf-dot-cr", "\r\n.\r"},
        {"lf-dot-cr", "\n.\r"},         {"cr-dot-lf", "\r.\n"},      {"crlf-dot-nul-crlf", "\r\n.\0\r\n"},
        {"crlf-dot-space-crlf", "\r\n. \r\n"},
    };
    for (const auto& [name, ending] : endings) {
        SmtpSession s("127.0.0.1", world().mta.smtp_port());
        s.command("EHLO client.example");
        BOOST_TEST(s.command("MAIL FROM:<someone@elsewhere.example>") == "250 2.1.0 Ok");
        BOOST_TEST(s.command("RCPT TO:<bob@example.com>") == "250 2.1.5 Ok");
        BOOST_TEST(s.command("DATA").rfind("354", 0) == 0u);
        std::string smuggled = "Subject: smuggle-outer " + name + "\r\n\r\nhello" + ending +
                               "MAIL FROM:<ceo@example.com>\r\nRCPT TO:<bob@example.com>\r\nDATA\r\n"
                               "Subject: smuggle-inner " + name + "\r\n\r\nforged\r\n.\r\n";
        s.send_raw(smuggled);
        std::string reply;
        try {
            reply = s.read_reply();
        } catch (const std::exception&) {
        }
        if (name == "crlf-dot-nul-crlf" || name == "crlf-dot-space-crlf") {
            // Not an end of data at all: the whole text is one message, ended by the real CRLF.CRLF.
            BOOST_TEST(reply.rfind("250 2.0.0 Ok: queued as ", 0) == 0u, name << ": " << reply);
        } else {
            BOOST_TEST(reply == "521 5.5.2 Bare CR or LF received", name << ": " << reply);
            BOOST_TEST(s.closed_by_server(5s), name);
        }
    }
    still_serving("smuggling");
    // Never a message of its own made of the smuggled part.
    for (const auto& m : world().mta.mailbox("bob"))
        BOOST_TEST(m.rfind("Subject: smuggle-inner", 0) == std::string::npos);
    for (const auto& m : world().mta.mailbox("bob"))
        BOOST_TEST((m.find("Subject: smuggle-inner") == std::string::npos || m.find("Subject: smuggle-outer") != std::string::npos),
                   m);
}

BOOST_AUTO_TEST_CASE(bare_lf_in_commands_is_refused) {
    SmtpSession s("127.0.0.1", world().mta.smtp_port());
    s.send_raw("EHLO client.example\n");
    BOOST_TEST(s.read_reply() == "521 5.5.2 Bare CR or LF received");
    BOOST_TEST(s.closed_by_server(5s));
}

BOOST_AUTO_TEST_CASE(oversize_lines) {
    SmtpSession s("127.0.0.1", world().mta.smtp_port());
    s.command("EHLO client.example");
    BOOST_TEST(s.command("NOOP " + std::string(5000, 'x')) == "500 5.5.2 Line too long");
    BOOST_TEST(s.command("NOOP") == "250 2.0.0 Ok");
    s.command("MAIL FROM:<someone@elsewhere.example>");
    s.command("RCPT TO:<bob@example.com>");
    std::string reply = s.send_data("Subject: long-line\n\n" + std::string(2000, 'y') + "\n");
    BOOST_TEST(reply == "500 5.5.2 Line too long");
    BOOST_TEST(s.command("NOOP") == "250 2.0.0 Ok");
}

BOOST_AUTO_TEST_CASE(header_flood_and_size_limits) {
    SmtpSession s("127.0.0.1", world().mta.limits_port());
    s.command("EHLO client.example");
    BOOST_TEST(s.command("MAIL FROM:<someone@elsewhere.example> SIZE=100000") ==
               "552 5.3.4 Message size exceeds fixed maximum message size");
    BOOST_TEST(s.command("MAIL FROM:<someone@elsewhere.example>") == "250 2.1.0 Ok");
    s.command("RCPT TO:<bob@example.com>");
    std::string flood;
    for (int i = 0; i < 3000; ++i) flood += "X-Flood-" + std::to_string(i) + ": " + std::string(40, 'f') + "\n";
    BOOST_TEST(s.send_data(flood + "\nbody\n") == "552 5.3.4 Message size exceeds fixed maximum message size");
    BOOST_TEST(s.command("NOOP") == "250 2.0.0 Ok");
}

BOOST_AUTO_TEST_CASE(ten_thousand_recipients) {
    SmtpSession s("127.0.0.1", world().mta.smtp_port());
    s.command("EHLO client.example");
    s.command("MAIL FROM:<someone@elsewhere.example>");
    std::string burst;
    // Distinct recipients (open.example has no recipient list): a repeated one would count once.
    for (int i = 0; i < 10000; ++i) burst += "RCPT TO:<user" + std::to_string(i) + "@open.example>\r\n";
    std::thread writer([&] { s.send_raw(burst); });
    int accepted = 0, too_many = 0, other = 0;
    for (int i = 0; i < 10000; ++i) {
        std::string r = s.read_reply();
        if (r == "250 2.1.5 Ok") ++accepted;
        else if (r == "452 4.5.3 Too many recipients") ++too_many;
        else ++other;
    }
    writer.join();
    BOOST_TEST(accepted == 200);
    BOOST_TEST(too_many == 9800);
    BOOST_TEST(other == 0);
    BOOST_TEST(s.command("RSET") == "250 2.0.0 Ok");
    still_serving("rcpt-flood");
}

BOOST_AUTO_TEST_CASE(idle_client_is_disconnected_after_the_inactivity_timeout) {
    SmtpSession s("127.0.0.1", world().mta.limits_port());
    s.send_raw("EHLO slow");  // a command that never ends
    std::string reply = s.read_reply();
    BOOST_TEST(reply == "421 4.4.2 mx.example.com Error: timeout exceeded");
    BOOST_TEST(s.closed_by_server(5s));
}

BOOST_AUTO_TEST_CASE(connections_per_source_are_limited) {
    std::vector<std::unique_ptr<SmtpSession>> held;
    for (int i = 0; i < 3; ++i) held.push_back(std::make_unique<SmtpSession>("127.0.0.1", world().mta.limits_port()));
    for (const auto& s : held) BOOST_TEST(s->greeting().rfind("220 ", 0) == 0u);
    SmtpSession fourth("127.0.0.1", world().mta.limits_port());
    BOOST_TEST(fourth.greeting() == "421 4.7.0 mx.example.com Error: too many connections from 127.0.0.1");
    held.clear();
    std::this_thread::sleep_for(300ms);
    SmtpSession again("127.0.0.1", world().mta.limits_port());
    BOOST_TEST(again.greeting().rfind("220 ", 0) == 0u);
}

BOOST_AUTO_TEST_CASE(connections_in_total_are_limited) {
    auto first = std::make_unique<SmtpSession>("127.0.0.1", world().mta.tiny_port());
    auto second = std::make_unique<SmtpSession>("127.0.0.1", world().mta.tiny_port());
    BOOST_TEST(second->greeting().rfind("220 ", 0) == 0u);
    SmtpSession third("127.0.0.1", world().mta.tiny_port());
    BOOST_TEST(third.greeting() == "421 4.7.0 mx.example.com Error: too many connections");
}

// A busy client is not idle, but connection_timeout bounds the whole session.
BOOST_AUTO_TEST_CASE(connection_timeout_ends_a_busy_session) {
    std::this_thread::sleep_for(300ms);  // the previous case's sessions are closed
    SmtpSession s("127.0.0.1", world().mta.tiny_port());
    BOOST_TEST(s.greeting().rfind("220 ", 0) == 0u);
    std::string reply;
    for (int i = 0; i < 100; ++i) {
        try {
            reply = s.command("NOOP");
        } catch (const std::exception&) {
            break;
        }
        if (reply != "250 2.0.0 Ok") break;
        std::this_thread::sleep_for(200ms);
    }
    BOOST_TEST(reply == "421 4.4.2 mx.example.com Error: timeout exceeded");
}

BOOST_AUTO_TEST_CASE(too_many_errors_end_the_session) {
    SmtpSession s("127.0.0.1", world().mta.smtp_port());
    for (int i = 0; i < 19; ++i) BOOST_TEST(s.command("BOGUS") == "500 5.5.1 Command unrecognized");
    BOOST_TEST(s.command("BOGUS") == "500 5.5.1 Command unrecognized");
    BOOST_TEST(s.read_reply() == "421 4.7.0 mx.example.com Error: too many errors");
    BOOST_TEST(s.closed_by_server(5s));
}

BOOST_AUTO_TEST_CASE(commands_injected_before_tls_are_discarded) {
    SmtpSession s("127.0.0.1", world().mta.smtp_port());
    s.command("EHLO client.example");
    // CVE-2011-0411: plaintext commands sent with STARTTLS must not run inside the TLS session.
    s.send_raw("STARTTLS\r\nRSET\r\n");
    BOOST_TEST(s.read_reply() == "220 2.0.0 Ready to start TLS");
    // The injected RSET got no reply in the clear; the handshake comes next. Send garbage instead.
    s.send_raw(std::string("\x16\x03\x01\x00\x05garbage-not-a-client-hello", 32));
    BOOST_TEST(s.closed_by_server(10s));
    auto log = world().mta.daemon().log();
    BOOST_TEST(log.find("bytes sent after STARTTLS") != std::string::npos, log);
    still_serving("tls-garbage");
}

BOOST_AUTO_TEST_CASE(tls_garbage_instead_of_smtp) {
    SmtpSession s("127.0.0.1", world().mta.smtp_port());
    s.send_raw(std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11));
    std::string reply;
    try {
        reply = s.read_reply();
    } catch (const std::exception&) {
    }
    BOOST_TEST((reply.empty() || reply[0] == '5'), reply);
    still_serving("garbage");
}

// nmap's smtp-open-relay script: 16 MAIL/RCPT combinations (null sender, our domain as sender,
// percent hack, bang paths, quoted local parts, source routes, address literals) in one session,
// against the Internet connector. "+" runs the script although nmap does not take the port for SMTP;
// -n: no DNS, -Pn: no ping; only ever 127.0.0.1.
void expect_no_open_relay(const std::string& script_args) {
    std::size_t mark = world().mta.daemon().log_size();
    auto r = run_capture({"nmap", "-Pn", "-n", "-vv", "-p", std::to_string(world().mta.smtp_port()), "--script",
                          "+smtp-open-relay", "--script-args", script_args, "127.0.0.1"},
                         {}, 90s, true);
    BOOST_TEST_MESSAGE("nmap --script-args " << script_args << ":\n" << r.out);
    BOOST_TEST(r.status == 0, r.out);
    BOOST_TEST(r.out.find("smtp-open-relay: Server doesn't seem to be an open relay, all tests failed") != std::string::npos,
               r.out);
    BOOST_TEST(r.out.find("Server is an open relay") == std::string::npos, r.out);
    std::string log = world().mta.daemon().log().substr(mark);
    BOOST_TEST(log.find("too many errors") == std::string::npos, log);
    BOOST_TEST(log.find("accept: RCPT") == std::string::npos, log);
    auto list = world().mta.queue({"list"});
    BOOST_TEST(list.out.find("relaytest") == std::string::npos, list.out);
    still_serving("nmap " + script_args);
}

BOOST_AUTO_TEST_CASE(nmap_finds_no_open_relay) {
    expect_no_open_relay("smtp-open-relay.domain=example.com,smtp-open-relay.ip=127.0.0.1");
    expect_no_open_relay("smtp-open-relay.ip=127.0.0.1");
}
