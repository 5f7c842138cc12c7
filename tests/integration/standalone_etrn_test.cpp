// ETRN (README "ETRN") against real peers on loopback: the server side (a send connector with
// `hold` keeps mail for a domain until a client with the right `etrn` asks, then an smtp-sink gets
// it), and the client side (a send connector's `etrn` asks a private Postfix with
// fast_flush_domains, whose flush then delivers the mail it had deferred).
#define BOOST_TEST_MODULE standalone_etrn
#include <boost/test/unit_test.hpp>

#include <thread>

#include "support/net.hpp"
#include "support/postfix_instance.hpp"
#include "support/smtp_session.hpp"
#include "support/smtp_sink.hpp"
#include "support/standalone_world.hpp"

using namespace mw::itest;
namespace fs = std::filesystem;

namespace {

std::size_t count_of(const std::string& text, const std::string& needle) {
    std::size_t n = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
    return n;
}

// A receive connector whose sessions may relay and ask for ETRN.
std::string etrn_connector(std::uint16_t port) {
    return "[[receive_connector]]\nname = \"ETRN clients\"\nbind = [\"127.0.0.1:" + std::to_string(port) +
           "\"]\nreverse_dns = \"off\"\npermission_groups = [\"anonymous\"]\n"
           "grant = [\"accept-any-recipient\", \"etrn\"]\n";
}

SmtpSinkOptions sink_on(const std::string& address, std::uint16_t port = 0) {
    SmtpSinkOptions o;
    o.address = address;
    o.port = port;
    return o;
}

std::string send_message(SmtpSession& s, const std::string& to, const std::string& subject) {
    if (s.command("MAIL FROM:<sender@far.example>").rfind("250", 0) != 0) return "MAIL refused";
    if (s.command("RCPT TO:<" + to + ">").rfind("250", 0) != 0) return "RCPT refused";
    return s.send_data("Subject: " + subject + "\nFrom: <sender@far.example>\n\n" + subject + "\n");
}

}  // namespace

BOOST_AUTO_TEST_CASE(held_mail_waits_for_etrn_from_a_session_with_the_right) {
    mw::test::TempDir pki_dir{"pki"};
    Pki pki{pki_dir.path()};
    mw::test::TempDir dir{"etrn-s"};
    SmtpSink sink{dir.path() / "sink", sink_on("127.0.79.1")};
    StandaloneWorld mta{dir.path() / "mta", pki};
    const std::uint16_t etrn_port = free_port();
    mta.daemon().write_rule_file("35-etrn.toml", etrn_connector(etrn_port) + R"(
[[send_connector]]
name = "Held for partner"
address_spaces = ["held.example", "*.held.example"]
smart_hosts = ["[127.0.79.1]:)" + std::to_string(sink.port()) + R"("]
tls = "none"
hold = true
)");
    mta.daemon().start();

    SmtpSession asker("127.0.0.1", etrn_port);
    BOOST_TEST(asker.command("ETRN held.example") == "503 5.5.1 Error: send HELO/EHLO first");
    const std::string ehlo = asker.command("EHLO asker.far.example");
    BOOST_TEST(ehlo.find("250-ETRN") != std::string::npos, ehlo);
    BOOST_TEST(asker.command("HELP").find(" ETRN") != std::string::npos);
    BOOST_TEST(send_message(asker, "bob@held.example", "held-one").rfind("250 2.0.0 Ok: queued as ", 0) == 0);
    BOOST_TEST(send_message(asker, "carol@eu.held.example", "held-two").rfind("250 2.0.0 Ok: queued as ", 0) == 0);

    // Both wait, with the reason in the queue listing, and nothing reached the sink.
    BOOST_TEST_REQUIRE(mta.daemon().wait_log("to=<carol@eu.held.example>, relay=none"), mta.daemon().log());
    BOOST_TEST_REQUIRE(mta.daemon().wait_log("to=<bob@held.example>, relay=none"), mta.daemon().log());
    BOOST_TEST(mta.daemon().log().find("dsn=4.4.0, status=deferred (held for ETRN by send connector Held for partner)") !=
                   std::string::npos,
               mta.daemon().log());
    auto listed = mta.queue({"list"});
    BOOST_TEST(count_of(listed.out, "held for ETRN by send connector Held for partner") == 2u, listed.out);
    BOOST_TEST(sink.messages().empty());

    // A session without the right: ETRN is neither offered nor done.
    SmtpSession stranger("127.0.0.1", mta.smtp_port());
    const std::string plain_ehlo = stranger.command("EHLO stranger.far.example");
    BOOST_TEST(plain_ehlo.find("ETRN") == std::string::npos, plain_ehlo);
    BOOST_TEST(stranger.command("ETRN held.example") == "502 5.7.0 Error: ETRN not permitted");
    BOOST_TEST(mta.daemon().log().find("reject: ETRN from unknown[127.0.0.1]: 502 5.7.0 Error: ETRN not permitted; "
                                       "rule=\"connector Internet: no etrn\" connector=Internet") != std::string::npos,
               mta.daemon().log());

    // Refusals of the node itself, and the forms we do not serve.
    BOOST_TEST(asker.command("ETRN example.com") == "459 4.7.1 Node example.com not allowed: mail for it is delivered here");
    BOOST_TEST(asker.command("ETRN #held") ==
               "504 5.5.4 ETRN #queue names are not supported: ask for a domain or @domain");
    BOOST_TEST(asker.command("ETRN") == "501 5.5.4 Syntax: ETRN domain");
    BOOST_TEST(sink.messages().empty());

    // The right session asks: the domain's own mail goes (not the subdomain's), once.
    BOOST_TEST(asker.command("ETRN Held.Example") == "250 2.0.0 Queuing for node held.example started");
    BOOST_TEST_REQUIRE(sink.wait_message("held-one").has_value(), mta.daemon().log());
    BOOST_TEST(mta.daemon().log().find("accept: ETRN from unknown[127.0.0.1]: 250 2.0.0 Queuing for node held.example "
                                       "started; rule=\"send connector Held for partner\" connector=\"ETRN clients\"") !=
                   std::string::npos,
               mta.daemon().log());
    BOOST_TEST(mta.daemon().log().find("node=held.example messages=1") != std::string::npos, mta.daemon().log());
    BOOST_TEST_REQUIRE(mta.daemon().wait_log("to=<bob@held.example>, relay=127.0.79.1[127.0.79.1]:" +
                                             std::to_string(sink.port())),
                       mta.daemon().log());
    BOOST_TEST(sink.messages().size() == 1u);

    // "@domain": the subdomains' mail too.
    BOOST_TEST(asker.command("ETRN @held.example") == "250 2.0.0 Queuing for node @held.example started");
    BOOST_TEST_REQUIRE(sink.wait_message("held-two").has_value(), mta.daemon().log());
    BOOST_TEST_REQUIRE(mta.daemon().wait_log("to=<carol@eu.held.example>, relay=127.0.79.1"), mta.daemon().log());

    // Nothing left: RFC 1985's 251.
    BOOST_TEST(asker.command("ETRN held.example") == "251 2.0.0 OK, no messages waiting for node held.example");
    asker.command("QUIT");
    BOOST_TEST(mta.daemon().stop() == 0);
}

BOOST_AUTO_TEST_CASE(a_send_connector_asks_postfix_to_flush) {
    mw::test::TempDir pki_dir{"pki"};
    Pki pki{pki_dir.path()};
    mw::test::TempDir dir{"etrn-c"};
    SmtpSink relay_sink{dir.path() / "relay-sink", sink_on("127.0.79.2")};
    const std::uint16_t partner_port = free_port();  // nothing listens yet: Postfix defers partner mail

    PostfixOptions o;
    o.relayhost = "[127.0.79.2]:" + std::to_string(relay_sink.port());
    o.relay_domains = "partner.example";
    // A short backoff: qmgr keeps a refused destination throttled that long, and the flush must
    // find it usable again; its own retries still wait for queue_run_delay.
    o.main_cf = {{"fast_flush_domains", "partner.example"},
                 {"minimal_backoff_time", "2s"},
                 {"queue_run_delay", "300s"},
                 {"transport_maps", "inline:{partner.example=smtp:[127.0.79.3]:" + std::to_string(partner_port) + "}"}};
    PostfixInstance postfix{dir.path() / "postfix", pki, o};
    postfix.start();

    // Postfix holds mail for partner.example: the first attempt is refused and its own retry is
    // minutes away (minimal_backoff_time), so only a flush delivers it in this test's time.
    SmtpSession client("127.0.0.1", postfix.port());
    client.command("EHLO client.far.example");
    BOOST_TEST_REQUIRE(send_message(client, "bob@partner.example", "waiting-at-postfix").rfind("250", 0) == 0);
    client.command("QUIT");
    BOOST_TEST_REQUIRE(postfix.wait_log("to=<bob@partner.example>, relay=none"), postfix.log());
    BOOST_TEST(postfix.log().find("status=deferred") != std::string::npos, postfix.log());
    SmtpSink partner_sink{dir.path() / "partner-sink", sink_on("127.0.79.3", partner_port)};

    StandaloneWorld mta{dir.path() / "mta", pki};
    const std::uint16_t relay_port = free_port();
    const std::string server = "[127.0.0.1]:" + std::to_string(postfix.port());
    mta.daemon().write_rule_file("35-etrn.toml", etrn_connector(relay_port) + R"(
[[send_connector]]
name = "Backup MX"
address_spaces = ["backup.example"]
smart_hosts = [")" + server + R"("]
tls = "none"
etrn = { server = ")" + server + R"(", domains = ["partner.example"], every = "1h" }
)");
    std::size_t mark = postfix.log_size();
    mta.daemon().start();

    // At start: EHLO, ETRN, QUIT; Postfix's flush delivers what it held.
    BOOST_TEST_REQUIRE(postfix.wait_log("etrn=1", 20s, mark), postfix.log_since(mark));
    BOOST_TEST(postfix.log_since(mark).find("ehlo=1 etrn=1 quit=1 commands=3") != std::string::npos, postfix.log_since(mark));
    BOOST_TEST_REQUIRE(partner_sink.wait_message("waiting-at-postfix").has_value(), postfix.log());
    BOOST_TEST_REQUIRE(mta.daemon().wait_log("ETRN partner.example to " + server + " (send connector Backup MX): 250 Queuing started"),
                       mta.daemon().log());

    // Mail sent through the connector asks again.
    mark = postfix.log_size();
    SmtpSession relay("127.0.0.1", relay_port);
    relay.command("EHLO relay.far.example");
    BOOST_TEST_REQUIRE(send_message(relay, "zoe@backup.example", "through-backup").rfind("250", 0) == 0);
    relay.command("QUIT");
    BOOST_TEST_REQUIRE(relay_sink.wait_message("through-backup").has_value(), postfix.log_since(mark));
    BOOST_TEST_REQUIRE(postfix.wait_log("etrn=1", 20s, mark), postfix.log_since(mark) + "\n" + mta.daemon().log());
    // mailwarden logs the answer after QUIT's reply, a moment after Postfix's line.
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (count_of(mta.daemon().log(), "ETRN partner.example to " + server) < 2u &&
           std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(100ms);
    BOOST_TEST(count_of(mta.daemon().log(), "ETRN partner.example to " + server) == 2u, mta.daemon().log());
    BOOST_TEST(mta.daemon().stop() == 0);
}
