// Outbound delivery in standalone mode (README "Outbound delivery"), against a private signed DNS
// tree and real peers on 127.0.77.x:25: smtp-sink (no STARTTLS) and a Postfix whose listeners
// stand for partners' MX hosts (mutual TLS with a certificate of the Partner CA, or a self-signed
// one), relaying what they take to the sink.
#define BOOST_TEST_MODULE standalone_outbound
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "support/dns_rig.hpp"
#include "support/counting_proxy.hpp"
#include "support/dovecot_sasl.hpp"
#include "support/postfix_instance.hpp"
#include "support/process.hpp"
#include "support/smtp_session.hpp"
#include "support/smtp_sink.hpp"
#include "support/standalone_world.hpp"
#include "support/swaks.hpp"

using namespace mw::itest;

namespace {

constexpr const char* dead_mx = "127.0.77.21";  // nothing listens there
constexpr const char* sink_mx = "127.0.77.22";
constexpr const char* partner_mx = "127.0.77.23";
constexpr const char* untrusted_mx = "127.0.77.24";
constexpr const char* small_mx = "127.0.77.25";  // takes at most 3000 bytes, refuses nobody@small.example
constexpr const char* pinned_mx = "127.0.77.26";  // presents the Pki's pinned certificate
constexpr const char* old_tls_mx = "127.0.77.27"; // offers STARTTLS, but no TLS version we speak
constexpr const char* flaky_mx = "127.0.77.29";   // a sink that tempfails RCPT until the test replaces it
constexpr const char* smart_host = "127.0.77.30"; // port 587: relays only for a SASL login, after TLS
constexpr const char* tls12_mx = "127.0.77.32";   // STARTTLS with TLS 1.2 at most
constexpr const char* counted_mx = "127.0.77.33"; // a counting relay in front of a slow sink on .34
constexpr const char* slow_sink = "127.0.77.34";
constexpr const char* crash_mx = "127.0.77.35";   // the sink of the SIGKILL test
constexpr const char* later_mx = "127.0.77.36";   // nothing listens until the test starts a sink

std::vector<DnsZone> zones() {
    return {
        {"example.", ""},
        {"dest.example.", std::string("@ MX 10 mx1\n@ MX 20 mx2\nmx1 A ") + dead_mx + "\nmx2 A " + sink_mx + "\n"},
        {"implicit.example.", std::string("@ A ") + sink_mx + "\n"},
        {"nullmx.example.", "@ MX 0 .\n"},
        {"bank.example.", std::string("@ MX 10 mx\nmx A ") + sink_mx + "\n"},
        {"partner.example.", std::string("@ MX 10 mx\nmx A ") + partner_mx + "\n"},
        {"partner2.example.", std::string("@ MX 10 mx\nmx A ") + untrusted_mx + "\n"},
        {"small.example.", std::string("@ MX 10 mx\nmx A ") + small_mx + "\n"},
        {"pinned.example.", std::string("@ MX 10 mx\nmx A ") + pinned_mx + "\n"},
        {"pinned2.example.", std::string("@ MX 10 mx\nmx A ") + untrusted_mx + "\n"},
        {"oldtls.example.", std::string("@ MX 10 mx\nmx A ") + old_tls_mx + "\n"},
        {"flaky.example.", std::string("@ MX 10 mx\nmx A ") + flaky_mx + "\n"},
        {"modern.example.", std::string("@ MX 10 mx\nmx A ") + tls12_mx + "\n"},
        {"limit.example.", std::string("@ MX 10 mx\nmx A ") + counted_mx + "\n"},
        {"crash.example.", std::string("@ MX 10 mx\nmx A ") + crash_mx + "\n"},
        {"later.example.", std::string("@ MX 10 mx\nmx A ") + later_mx + "\n"},
    };
}

struct Rig {
    mw::test::TempDir pki_dir{"pki"};
    Pki pki{pki_dir.path()};
    mw::test::TempDir dir{"outbound"};
    DnsRig dns{dir.path() / "dns", zones()};
    SmtpSink sink{dir.path() / "sink", [] {
                      SmtpSinkOptions o;
                      o.address = sink_mx;
                      o.port = 25;
                      return o;
                  }()};
    Cert partner_server = pki.issue("mx-partner", {"mx.partner.example", {"mx.partner.example"}, false, true, false},
                                    &pki.partner_ca());
    Cert untrusted_server = pki.issue("mx-partner2", {"mx.partner2.example", {"mx.partner2.example"}, false, true, false});
    std::unique_ptr<PostfixInstance> partners;
    std::unique_ptr<DovecotSasl> sasl;

    Rig() {
        // Both listeners demand a client certificate of our organization's CA, as a partner's
        // Domain Security receive side does, and relay to the sink.
        auto listener = [&](const char* address, const Cert& cert) {
            SmtpdService s;
            s.listen = std::string(address) + ":25";
            s.options = {"smtpd_tls_security_level=encrypt", "smtpd_tls_req_ccert=yes",
                         "smtpd_tls_chain_files=" + cert.key.string() + "," + cert.cert.string(), "smtpd_tls_CAfile=" + pki.ca().cert.string()};
            return s;
        };
        PostfixOptions o;
        o.relayhost = sink.relayhost();
        SmtpdService small;
        small.listen = std::string(small_mx) + ":25";
        std::ofstream(dir.path() / "refused-recipients")
            << "nobody@small.example 550 5.1.1 User unknown\n";
        small.options = {"message_size_limit=3000", "smtpd_recipient_restrictions=check_recipient_access texthash:" +
                                                        (dir.path() / "refused-recipients").string()};
        SmtpdService old_tls;
        old_tls.listen = std::string(old_tls_mx) + ":25";
        old_tls.options = {"smtpd_tls_security_level=may", "smtpd_tls_protocols=<=TLSv1"};
        SmtpdService relay;
        relay.listen = std::string(smart_host) + ":587";
        relay.options = {"smtpd_tls_security_level=encrypt", "smtpd_tls_auth_only=yes", "smtpd_sasl_auth_enable=yes",
                         "smtpd_sasl_type=dovecot", "smtpd_sasl_path=private/auth",
                         "smtpd_relay_restrictions=permit_sasl_authenticated,reject"};
        SmtpdService tls12;
        tls12.listen = std::string(tls12_mx) + ":25";
        tls12.options = {"smtpd_tls_security_level=may", "smtpd_tls_protocols=<=TLSv1.2"};
        o.services = {listener(partner_mx, partner_server), listener(untrusted_mx, untrusted_server), small,
                      listener(pinned_mx, pki.pinned()), old_tls, relay, tls12};
        o.relay_domains =
            "partner.example partner2.example small.example pinned.example pinned2.example oldtls.example modern.example";
        partners = std::make_unique<PostfixInstance>(dir.path() / "partners", pki, o);
        sasl = std::make_unique<DovecotSasl>(dir.path() / "sasl", partners->sasl_socket());
        partners->start();
    }
};
Rig& rig() {
    static Rig r;
    return r;
}

std::unique_ptr<StandaloneWorld> world(const std::string& name, const std::string& extra_delivery = "") {
    StandaloneOptions o;
    o.dns = rig().dns.dns_section();
    o.extra_delivery = extra_delivery;
    auto w = std::make_unique<StandaloneWorld>(rig().dir.path() / name, rig().pki, o);
    w->daemon().start();
    return w;
}

SwaksOptions from_alice(const StandaloneWorld& w, const std::string& to, const std::string& subject) {
    SwaksOptions s = w.submission("alice", "alice-secret", {to});
    s.headers = {"Subject: " + subject};
    return s;
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_second_mx_takes_the_mail_when_the_first_is_dead) {
    auto w = world("failover");
    auto r = swaks(from_alice(*w, "bob@dest.example", "outbound failover"));
    BOOST_TEST_REQUIRE(r.status == 0, r.transcript << w->daemon().log());
    auto m = rig().sink.wait_message("outbound failover");
    BOOST_TEST_REQUIRE(m.has_value(), w->daemon().log());
    BOOST_TEST(w->daemon().wait_log(std::string("connect to mx1.dest.example[") + dead_mx + "]:25: Connection refused"),
               w->daemon().log());
    BOOST_TEST(w->daemon().wait_log(std::string("to=<bob@dest.example>, relay=mx2.dest.example[") + sink_mx +
                                    "]:25, delay="),
               w->daemon().log());
    BOOST_TEST(w->daemon().wait_log("status=sent (250 2.0.0 Ok"), w->daemon().log());
    BOOST_TEST(m->find("X-Helo-Args: mx.example.com") != std::string::npos, *m);

    // No MX records: the domain's own address (RFC 5321 section 5.1).
    auto implicit = swaks(from_alice(*w, "carol@implicit.example", "outbound implicit"));
    BOOST_TEST_REQUIRE(implicit.status == 0, implicit.transcript);
    BOOST_TEST(rig().sink.wait_message("outbound implicit").has_value(), w->daemon().log());
    BOOST_TEST(w->daemon().wait_log(std::string("to=<carol@implicit.example>, relay=implicit.example[") + sink_mx + "]:25"),
               w->daemon().log());
}

BOOST_AUTO_TEST_CASE(a_null_mx_bounces_at_once) {
    auto w = world("nullmx");
    auto r = swaks(from_alice(*w, "bob@nullmx.example", "outbound null mx"));
    BOOST_TEST_REQUIRE(r.status == 0, r.transcript << w->daemon().log());
    auto bounce = w->wait_message("alice", "Undelivered Mail Returned to Sender");
    BOOST_TEST_REQUIRE(bounce.has_value(), w->daemon().log());
    BOOST_TEST(bounce->find("Status: 5.1.10") != std::string::npos, *bounce);
    BOOST_TEST(bounce->find("has null MX") != std::string::npos, *bounce);
    BOOST_TEST(w->daemon().wait_log("to=<bob@nullmx.example>, relay=none"), w->daemon().log());
}

BOOST_AUTO_TEST_CASE(a_tls_required_domain_whose_mx_has_no_starttls_waits_and_gets_nothing_in_clear) {
    auto w = world("bank", "delay_warning = \"3s\"\n");
    const auto before = rig().sink.messages().size();
    auto r = swaks(from_alice(*w, "teller@bank.example", "outbound bank"));
    BOOST_TEST_REQUIRE(r.status == 0, r.transcript << w->daemon().log());
    BOOST_TEST(w->daemon().wait_log(std::string("TLS is required, but was not offered by host mx.bank.example[") +
                                    sink_mx + "]:25"),
               w->daemon().log());
    BOOST_TEST(w->daemon().wait_log("dsn=4.7.5, status=deferred"), w->daemon().log());
    for (const auto& m : rig().sink.messages()) BOOST_TEST(m.find("outbound bank") == std::string::npos, m);
    BOOST_TEST(rig().sink.messages().size() == before);
    auto q = w->queue({"list"});
    BOOST_TEST(q.out.find("teller@bank.example") != std::string::npos, q.out);
    // After delay_warning the sender hears once why it waits.
    auto delayed = w->wait_message("alice", "Delayed Mail (still being retried)");
    BOOST_TEST_REQUIRE(delayed.has_value(), w->daemon().log());
    BOOST_TEST(delayed->find("Action: delayed") != std::string::npos, *delayed);
    BOOST_TEST(delayed->find("TLS is required, but was not offered by host mx.bank.example") != std::string::npos,
               *delayed);
}

BOOST_AUTO_TEST_CASE(domain_security_send_uses_mutual_tls_with_the_partner) {
    auto w = world("partner");
    auto r = swaks(from_alice(*w, "sales@partner.example", "outbound partner"));
    BOOST_TEST_REQUIRE(r.status == 0, r.transcript << w->daemon().log());
    auto m = rig().sink.wait_message("outbound partner");
    BOOST_TEST_REQUIRE(m.has_value(), w->daemon().log() << rig().partners->log());
    BOOST_TEST(w->daemon().wait_log(std::string("Verified TLS connection established to mx.partner.example[") +
                                    partner_mx + "]:25: TLSv1.3 with cipher"),
               w->daemon().log());
    BOOST_TEST(w->daemon().wait_log("to=<sales@partner.example>, relay=mx.partner.example["), w->daemon().log());
    // The partner saw our certificate, and trusted it.
    const std::string log = rig().partners->log();
    BOOST_TEST(log.find("Trusted TLS connection established from") != std::string::npos, log);
    BOOST_TEST(m->find("(Client CN \"mx.example.com\", Issuer \"Test CA\"") != std::string::npos, *m);
}

BOOST_AUTO_TEST_CASE(a_partner_with_an_untrusted_certificate_waits_then_bounces_with_the_reason) {
    auto w = world("untrusted", "queue_lifetime = \"15s\"\n");
    auto r = swaks(from_alice(*w, "sales@partner2.example", "outbound untrusted"));
    BOOST_TEST_REQUIRE(r.status == 0, r.transcript << w->daemon().log());
    BOOST_TEST(w->daemon().wait_log(std::string("Untrusted TLS connection established to mx.partner2.example[") +
                                    untrusted_mx + "]:25"),
               w->daemon().log());
    BOOST_TEST(w->daemon().wait_log("dsn=4.7.5, status=deferred (451 4.7.5 Server certificate not trusted"), w->daemon().log());
    auto bounce = w->wait_message("alice", "Undelivered Mail Returned to Sender", std::chrono::seconds(60));
    BOOST_TEST_REQUIRE(bounce.has_value(), w->daemon().log());
    BOOST_TEST(bounce->find("Server certificate not trusted") != std::string::npos, *bounce);
    BOOST_TEST(bounce->find("Status: 4.4.7") != std::string::npos, *bounce);
    BOOST_TEST(!rig().sink.wait_message("outbound untrusted", std::chrono::seconds(1)).has_value());
}

// SIZE (RFC 1870): a message the server announced it will not take bounces at once, without a
// transaction; one within the limit goes, with the sender's DSN request passed on (the sink, two
// hops on, shows what it got).
BOOST_AUTO_TEST_CASE(a_message_over_the_servers_size_bounces_and_dsn_requests_travel_on) {
    auto w = world("size");
    SwaksOptions big = from_alice(*w, "bob@small.example", "outbound too big");
    std::string body;
    for (int i = 0; i < 80; ++i) body += std::string(60, 'x') + "\n";
    big.body = body;
    auto r = swaks(big);
    BOOST_TEST_REQUIRE(r.status == 0, r.transcript << w->daemon().log());
    auto bounce = w->wait_message("alice", "outbound too big");
    BOOST_TEST_REQUIRE(bounce.has_value(), w->daemon().log());
    BOOST_TEST(bounce->find("Status: 5.3.4") != std::string::npos, *bounce);
    BOOST_TEST(bounce->find("exceeds size limit 3000 of server mx.small.example[" + std::string(small_mx) + "]:25") !=
                   std::string::npos,
               *bounce);

    // swaks has no RCPT parameters; Python's smtplib has.
    const std::string script = R"PY(
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), local_hostname="client.example")
s.starttls()
s.login("alice", "alice-secret")
s.sendmail("alice@example.com", ["carol@small.example"], "Subject: outbound small\r\n\r\nhello\r\n",
           rcpt_options=["NOTIFY=SUCCESS,FAILURE"])
s.quit()
)PY";
    auto ok = run_capture({"python3", "-c", script, std::to_string(w->submission_port())});
    BOOST_TEST_REQUIRE(ok.status == 0, ok.out << ok.err << w->daemon().log());
    auto m = rig().sink.wait_message("outbound small");
    BOOST_TEST_REQUIRE(m.has_value(), w->daemon().log() << rig().partners->log());
    const auto args = m->find("X-Rcpt-Args: <carol@small.example>");
    BOOST_TEST_REQUIRE(args != std::string::npos, *m);
    const std::string line = m->substr(args, m->find('\n', args) - args);
    BOOST_TEST(line.find(" NOTIFY=SUCCESS,FAILURE") != std::string::npos, line);
    // The server offered DSN: it reports success itself, so alice gets no report from us.
    BOOST_TEST(w->daemon().wait_log("to=<carol@small.example>, relay=mx.small.example["), w->daemon().log());
    BOOST_TEST(w->daemon().log().find("sender delivery status notification") == std::string::npos, w->daemon().log());
}

// Direct Trust: the partner's certificate must be the pinned one, chain or no chain.
BOOST_AUTO_TEST_CASE(a_direct_trust_pin_lets_the_pinned_server_in_and_no_other) {
    auto w = world("pins");
    auto r = swaks(from_alice(*w, "sales@pinned.example", "outbound pinned"));
    BOOST_TEST_REQUIRE(r.status == 0, r.transcript << w->daemon().log());
    BOOST_TEST(rig().sink.wait_message("outbound pinned").has_value(), w->daemon().log() << rig().partners->log());
    BOOST_TEST(w->daemon().wait_log(std::string("Verified TLS connection established to mx.pinned.example[") + pinned_mx +
                                    "]:25"),
               w->daemon().log());

    auto other = swaks(from_alice(*w, "sales@pinned2.example", "outbound mispinned"));
    BOOST_TEST_REQUIRE(other.status == 0, other.transcript);
    BOOST_TEST(w->daemon().wait_log("dsn=4.7.5, status=deferred (451 4.7.5 Server certificate not verified: its "
                                    "fingerprint"),
               w->daemon().log());
    BOOST_TEST(w->daemon().wait_log("is not a Direct Trust pin of the domain"), w->daemon().log());
    BOOST_TEST(!rig().sink.wait_message("outbound mispinned", std::chrono::seconds(1)).has_value());
}

// Opportunistic TLS: a handshake that fails is no reason to keep the mail; the same server is
// tried again without STARTTLS (Postfix at "may").
BOOST_AUTO_TEST_CASE(opportunistic_tls_falls_back_to_plaintext_after_a_failed_handshake) {
    auto w = world("oldtls");
    auto r = swaks(from_alice(*w, "bob@oldtls.example", "outbound old tls"));
    BOOST_TEST_REQUIRE(r.status == 0, r.transcript << w->daemon().log());
    auto m = rig().sink.wait_message("outbound old tls");
    BOOST_TEST_REQUIRE(m.has_value(), w->daemon().log() << rig().partners->log());
    BOOST_TEST(w->daemon().wait_log(std::string("TLS handshake with mx.oldtls.example[") + old_tls_mx +
                                    "]:25 failed; trying it again in plaintext"),
               w->daemon().log());
    BOOST_TEST(w->daemon().wait_log("to=<bob@oldtls.example>, relay=mx.oldtls.example["), w->daemon().log());
}

// One refused recipient among accepted ones: it alone bounces, in one report naming the server and
// quoting its reply; the other is delivered.
BOOST_AUTO_TEST_CASE(a_refused_recipient_among_accepted_ones_gets_one_report_with_the_servers_reply) {
    auto w = world("refused");
    SwaksOptions o = from_alice(*w, "carol@small.example", "outbound mixed");
    o.to = {"carol@small.example", "nobody@small.example"};
    auto r = swaks(o);
    BOOST_TEST_REQUIRE(r.status == 0, r.transcript << w->daemon().log());
    BOOST_TEST(rig().sink.wait_message("outbound mixed").has_value(), w->daemon().log() << rig().partners->log());
    auto bounce = w->wait_message("alice", "Undelivered Mail Returned to Sender");
    BOOST_TEST_REQUIRE(bounce.has_value(), w->daemon().log());
    // (Maildir files have LF line endings.)
    BOOST_TEST(bounce->find("Final-Recipient: rfc822; nobody@small.example\n") != std::string::npos, *bounce);
    BOOST_TEST(bounce->find("Final-Recipient: rfc822; carol@small.example") == std::string::npos, *bounce);
    BOOST_TEST(bounce->find("Status: 5.1.1\nRemote-MTA: dns; mx.small.example\n"
                            "Diagnostic-Code: smtp; 550 5.1.1 <nobody@small.example>: Recipient address rejected: "
                            "User unknown\n") != std::string::npos,
               *bounce);
    BOOST_TEST(w->mailbox("alice").size() == 1u);
}

// A server that answers 4xx keeps the mail queued (`queue list` says until when); once it
// recovers, `queue flush DOMAIN` delivers.
BOOST_AUTO_TEST_CASE(a_temporarily_failing_server_gets_the_mail_once_it_recovers) {
    auto w = world("flaky");
    SmtpSinkOptions failing;
    failing.address = flaky_mx;
    failing.port = 25;
    failing.extra_args = {"-r", "RCPT"};
    auto sink = std::make_unique<SmtpSink>(rig().dir.path() / "flaky-1", failing);
    auto r = swaks(from_alice(*w, "dave@flaky.example", "outbound flaky"));
    BOOST_TEST_REQUIRE(r.status == 0, r.transcript << w->daemon().log());
    BOOST_TEST(w->daemon().wait_log("to=<dave@flaky.example>, relay=mx.flaky.example["), w->daemon().log());
    BOOST_TEST(w->daemon().wait_log("status=deferred (4"), w->daemon().log());
    auto listed = w->queue({"list"});
    BOOST_TEST(listed.out.find("[next attempt ") != std::string::npos, listed.out);
    BOOST_TEST(listed.out.find("dave@flaky.example") != std::string::npos, listed.out);

    sink.reset();
    SmtpSinkOptions working;
    working.address = flaky_mx;
    working.port = 25;
    sink = std::make_unique<SmtpSink>(rig().dir.path() / "flaky-2", working);
    auto flush = w->queue({"flush", "flaky.example"});
    BOOST_TEST_REQUIRE(flush.status == 0, flush.out << flush.err);
    BOOST_TEST(flush.out.find("1 message scheduled for delivery now (recipients in flaky.example)") != std::string::npos,
               flush.out);
    BOOST_TEST(sink->wait_message("outbound flaky").has_value(), w->daemon().log());
    BOOST_TEST(w->daemon().wait_log("dsn=2.0.0, status=sent (250"), w->daemon().log());
}

// A smart host with `auth`: the login happens over TLS (the smart host offers AUTH only then), and
// the mail is relayed; a wrong password is refused by the server, and the mail waits.
BOOST_AUTO_TEST_CASE(a_smart_host_login_goes_over_tls_and_a_refused_one_keeps_the_mail) {
    auto w = world("smarthost");
    auto r = swaks(from_alice(*w, "eve@smarthost.example", "outbound smart host"));
    BOOST_TEST_REQUIRE(r.status == 0, r.transcript << w->daemon().log());
    BOOST_TEST(rig().sink.wait_message("outbound smart host").has_value(), w->daemon().log() << rig().partners->log());
    BOOST_TEST(w->daemon().wait_log(std::string("to=<eve@smarthost.example>, relay=") + smart_host + "[" + smart_host +
                                    "]:587"),
               w->daemon().log());
    BOOST_TEST(w->daemon().wait_log("status=sent (250"), w->daemon().log());
    const std::string log = rig().partners->log();
    BOOST_TEST(log.find("sasl_method=PLAIN, sasl_username=kid1@example.com") != std::string::npos, log);

    // The connector's second smart host, when the first does not answer.
    auto second = swaks(from_alice(*w, "eve@fallback.example", "outbound second smart host"));
    BOOST_TEST_REQUIRE(second.status == 0, second.transcript);
    BOOST_TEST(rig().sink.wait_message("outbound second smart host").has_value(), w->daemon().log());
    BOOST_TEST(w->daemon().wait_log("connect to 127.0.77.31[127.0.77.31]:587: Connection refused"), w->daemon().log());
    BOOST_TEST(w->daemon().wait_log(std::string("to=<eve@fallback.example>, relay=") + smart_host + "[" + smart_host +
                                    "]:587"),
               w->daemon().log());

    auto bad = swaks(from_alice(*w, "eve@badlogin.example", "outbound bad login"));
    BOOST_TEST_REQUIRE(bad.status == 0, bad.transcript);
    BOOST_TEST(w->daemon().wait_log("to=<eve@badlogin.example>"), w->daemon().log());
    BOOST_TEST(w->daemon().wait_log("dsn=4.7.0, status=deferred (451 4.7.0 SASL authentication failed with host"),
               w->daemon().log());
    BOOST_TEST(w->daemon().wait_log("said: 535 5.7.8"), w->daemon().log());
    BOOST_TEST(!rig().sink.wait_message("outbound bad login", std::chrono::seconds(1)).has_value());
}

// [[tls_required]] floors, both ways: a session below them is no session. Outbound the mail waits
// and the server gets nothing; inbound, MAIL is refused with the reason.
BOOST_AUTO_TEST_CASE(tls_floors_hold_mail_for_a_weaker_server_and_refuse_a_weaker_client) {
    auto w = world("floors");
    auto r = swaks(from_alice(*w, "ceo@modern.example", "outbound floor"));
    BOOST_TEST_REQUIRE(r.status == 0, r.transcript << w->daemon().log());
    BOOST_TEST(w->daemon().wait_log(std::string("TLS connection established to mx.modern.example[") + tls12_mx +
                                    "]:25: TLSv1.2 with cipher"),
               w->daemon().log());
    BOOST_TEST(w->daemon().wait_log("dsn=4.7.5, status=deferred (451 4.7.5 TLS version TLSv1.2 is older than the "
                                    "required TLSv1.3"),
               w->daemon().log());
    BOOST_TEST(!rig().sink.wait_message("outbound floor", std::chrono::seconds(1)).has_value());

    SwaksOptions in = w->internet("ceo@modern.example", {"bob@example.com"});
    in.tls = true;
    in.extra_args = {"--tls-protocol", "tlsv1_2"};
    auto refused = swaks(in);
    BOOST_TEST(refused.mail_reply() == "530 5.7.0 Stronger encryption required: TLS version TLSv1.2 is older than "
                                       "the TLSv1.3 that modern.example requires",
               refused.transcript);
    SwaksOptions ok = w->internet("ceo@modern.example", {"bob@example.com"});
    ok.tls = true;
    ok.headers = {"Subject: inbound floor met"};
    auto accepted = swaks(ok);
    BOOST_TEST(accepted.status == 0, accepted.transcript << w->daemon().log());
    BOOST_TEST(w->wait_message("bob", "inbound floor met").has_value(), w->daemon().log());
}

// [delivery] max_connections_per_domain, counted at the peer: eight messages to a slow server
// (a second before each reply to DATA) go out over at most two connections at once, and the
// sessions are reused for the next message (fewer connections than messages).
BOOST_AUTO_TEST_CASE(the_per_domain_connection_limit_holds_and_sessions_are_reused) {
    SmtpSinkOptions slow;
    slow.address = slow_sink;
    slow.extra_args = {"-w", "1"};
    SmtpSink sink(rig().dir.path() / "slow-sink", slow);
    CountingProxy counter(counted_mx, 25, slow_sink, sink.port());
    auto w = world("limit", "max_connections_per_domain = 2\n");
    constexpr int messages = 8;
    {
        // One session from the internal relay connector's address: the eight are queued within
        // moments, so the deliveries overlap (each takes a second at the sink) whatever the load.
        SmtpSession s("127.0.0.1", w->smtp_port(), "127.0.0.10");
        s.command("EHLO app.example.com");
        for (int i = 0; i < messages; ++i) {
            BOOST_TEST_REQUIRE(s.command("MAIL FROM:<app@example.com>").rfind("250", 0) == 0u);
            BOOST_TEST_REQUIRE(s.command("RCPT TO:<bob@limit.example>").rfind("250", 0) == 0u);
            const std::string reply = s.send_data("Subject: limited " + std::to_string(i) + "\n\nbody\n");
            BOOST_TEST_REQUIRE(reply.rfind("250", 0) == 0u, reply);
        }
        s.command("QUIT");
    }
    BOOST_TEST_REQUIRE(sink.wait_count(messages, std::chrono::seconds(60)), w->daemon().log());
    BOOST_TEST(counter.most_at_once() <= 2u, "connections at once: " << counter.most_at_once() << "\n" << w->daemon().log());
    BOOST_TEST(counter.most_at_once() == 2u, "the deliveries did overlap: " << counter.most_at_once());
    BOOST_TEST(counter.accepted() < static_cast<std::size_t>(messages),
               "connections: " << counter.accepted() << " for " << messages << " messages\n" << w->daemon().log());
}

// SIGKILL while mail goes out: clients relay a stream of messages (from the internal relay
// connector's address), the daemon is killed at random moments and restarted. Every acknowledged
// message reaches the next hop; a message arrives twice only when it was in flight at a kill (sent,
// and the queue not yet told), so duplicates are at most the kills times the deliveries at once.
BOOST_AUTO_TEST_CASE(no_acknowledged_message_is_lost_when_the_daemon_is_killed_during_delivery) {
    SmtpSinkOptions o;
    o.address = crash_mx;
    o.port = 25;
    SmtpSink sink(rig().dir.path() / "crash-sink", o);
    auto w = world("crash");
    constexpr int kill_rounds = 3;
    constexpr std::size_t deliveries_at_once = 8;  // [delivery] workers

    std::mutex mutex;
    std::set<std::string> acked;
    std::atomic<bool> stop{false};
    auto stream = [&](int client) {
        int n = 0;
        while (!stop) {
            try {
                SmtpSession s("127.0.0.1", w->smtp_port(), "127.0.0.10");
                s.command("EHLO app.example.com");
                for (int i = 0; i < 10 && !stop; ++i) {
                    const std::string token = "kill9-" + std::to_string(client) + "-" + std::to_string(n++);
                    if (s.command("MAIL FROM:<app@example.com>").rfind("250", 0) != 0) break;
                    if (s.command("RCPT TO:<bob@crash.example>").rfind("250", 0) != 0) break;
                    if (s.send_data("Subject: " + token + "\n\nbody of " + token + "\n").rfind("250", 0) == 0) {
                        std::lock_guard lock(mutex);
                        acked.insert(token);
                    }
                }
            } catch (const std::exception&) {
                std::this_thread::sleep_for(std::chrono::milliseconds(50));  // killed: try again
            }
        }
    };
    std::vector<std::thread> clients;
    for (int c = 0; c < 3; ++c) clients.emplace_back(stream, c);
    const unsigned seed = std::random_device{}();
    BOOST_TEST_MESSAGE("kill pauses from seed " << seed);
    std::mt19937 random(seed);
    std::uniform_int_distribution<int> pause_ms(300, 1500);
    for (int round = 0; round < kill_rounds; ++round) {
        std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms(random)));
        w->daemon().kill_hard();
        w->daemon().start();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    stop = true;
    for (auto& t : clients) t.join();
    BOOST_TEST_REQUIRE(acked.size() > 20u, "too few messages got through to test anything: " << acked.size());

    std::map<std::string, int> arrived;
    auto count = [&] {
        arrived.clear();
        for (const auto& m : sink.messages()) {
            auto at = m.find("Subject: kill9-");
            if (at != std::string::npos) ++arrived[m.substr(at + 9, m.find('\n', at) - at - 9)];
        }
        return std::all_of(acked.begin(), acked.end(), [&](const std::string& t) { return arrived.contains(t); });
    };
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
    while (!count() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(200));
    std::size_t lost = 0, duplicates = 0;
    for (const auto& t : acked) {
        if (!arrived.contains(t)) ++lost;
    }
    for (const auto& [token, times] : arrived) duplicates += static_cast<std::size_t>(times - 1);
    BOOST_TEST_MESSAGE(acked.size() << " acknowledged, " << arrived.size() << " arrived, " << duplicates << " twice");
    BOOST_TEST(lost == 0u, lost << " of " << acked.size() << " acknowledged messages lost\n" << w->daemon().log());
    BOOST_TEST(duplicates <= kill_rounds * deliveries_at_once, duplicates << " duplicates");
    BOOST_TEST(w->daemon().stop() == 0);
}

// `queue flush DOMAIN` after the server came back: the address that refused a connection a moment
// ago is tried again at once (the flush forgets it), not skipped as "not answering lately".
BOOST_AUTO_TEST_CASE(a_flush_tries_a_server_that_refused_a_moment_ago) {
    auto w = world("later");
    auto r = swaks(from_alice(*w, "fay@later.example", "outbound later"));
    BOOST_TEST_REQUIRE(r.status == 0, r.transcript << w->daemon().log());
    BOOST_TEST_REQUIRE(w->daemon().wait_log(std::string("connect to mx.later.example[") + later_mx + "]:25: Connection refused"),
                       w->daemon().log());
    BOOST_TEST_REQUIRE(w->daemon().wait_log("to=<fay@later.example>"), w->daemon().log());
    SmtpSinkOptions o;
    o.address = later_mx;
    o.port = 25;
    SmtpSink sink(rig().dir.path() / "later-sink", o);
    auto flush = w->queue({"flush", "later.example"});
    BOOST_TEST_REQUIRE(flush.status == 0, flush.out << flush.err);
    BOOST_TEST(sink.wait_message("outbound later").has_value(), w->daemon().log());
    BOOST_TEST(w->daemon().log().find("not answering lately") == std::string::npos, w->daemon().log());
}
