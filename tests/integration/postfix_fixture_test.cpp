// Self-tests of the integration fixture, without mailwarden: a private Postfix relays to smtp-sink,
// chrooted or not; client certificates are Trusted or Untrusted as smtpd_tls_CAfile says; Dovecot
// authenticates for Postfix; our fingerprints are Postfix's; smtp-sink offers no STARTTLS.
#define BOOST_TEST_MODULE postfix_fixture
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <random>

#include "support/dovecot_sasl.hpp"
#include "support/pki.hpp"
#include "support/proc.hpp"
#include "support/relay_stack.hpp"
#include "support/swaks.hpp"

using namespace mw::itest;
namespace fs = std::filesystem;

namespace {

// One set of certificates for the whole file.
const Pki& pki() {
    static mw::test::TempDir dir("pki");
    static Pki pki(dir.path());
    return pki;
}

std::string unique(const std::string& tag) { return tag + "-" + std::to_string(std::random_device{}()); }

bool group_alive(pid_t pgid) { return !process_group(pgid).empty(); }

SwaksOptions to_remote(const RelayStack& stack, const std::string& subject) {
    SwaksOptions o;
    o.port = stack.postfix.port();
    o.from = "alice@example.com";
    o.to = {"bob@remote.example"};
    o.headers = {"Subject: " + subject};
    o.body = "Hello from the fixture test.\n";
    return o;
}

}  // namespace

BOOST_AUTO_TEST_CASE(message_reaches_the_sink_and_nothing_is_left_running) {
    pid_t master = -1, sink = -1;
    {
        // Two receive connectors: the second on another loopback address, with its own options
        // (one value with spaces).
        PostfixOptions options;
        options.services = {SmtpdService::on_free_port(),
                            SmtpdService::on_free_port({"syslog_name=postfix/partners",
                                                        "smtpd_banner=$myhostname ESMTP partners door"},
                                                       "127.0.0.2")};
        RelayStack stack(pki(), options);
        const std::string subject = unique("plain");
        SwaksResult r = swaks(to_remote(stack, subject));
        BOOST_TEST_REQUIRE(r.status == 0, r.transcript);
        BOOST_TEST(r.rcpt_reply("bob@remote.example") == "250 2.1.5 Ok");
        BOOST_TEST(!r.queue_id().empty());
        auto message = stack.sink.wait_message("Subject: " + subject);
        BOOST_TEST_REQUIRE(message.has_value(), stack.postfix.log());
        BOOST_TEST(message->find("X-Rcpt-Args: <bob@remote.example>") != std::string::npos);
        BOOST_TEST(message->find("by mx.example.com (Postfix) with ESMTP id " + r.queue_id()) != std::string::npos);
        BOOST_TEST(message->find("Hello from the fixture test.") != std::string::npos);
        BOOST_TEST(stack.postfix.wait_log(r.queue_id() + ": removed"));

        SwaksOptions second = to_remote(stack, unique("second"));
        second.server = "127.0.0.2";
        second.port = stack.postfix.port(1);
        second.quit_after = "MAIL";
        SwaksResult s2 = swaks(second);
        BOOST_TEST(s2.status == 0, s2.transcript);
        BOOST_TEST(s2.transcript.find("<-  220 mx.example.com ESMTP partners door") != std::string::npos, s2.transcript);
        BOOST_TEST(stack.postfix.wait_log("postfix/partners/smtpd["), stack.postfix.log());

        master = stack.postfix.master_pid();
        sink = stack.sink.pid();
        BOOST_TEST(group_alive(master));
        BOOST_TEST(group_alive(sink));
    }
    BOOST_TEST(!group_alive(master), "Postfix processes survived the fixture");
    BOOST_TEST(!group_alive(sink), "smtp-sink survived the fixture");
}

BOOST_AUTO_TEST_CASE(chrooted_like_debian) {
    PostfixOptions options;
    options.chroot = true;
    RelayStack stack(pki(), options);
    const std::string subject = unique("chroot");
    SwaksResult r = swaks(to_remote(stack, subject));
    BOOST_TEST_REQUIRE(r.status == 0, r.transcript);
    BOOST_TEST_REQUIRE(stack.sink.wait_message("Subject: " + subject).has_value(), stack.postfix.log());
    // The smtpd that served us (idle now, waiting for the next client) really runs inside the queue
    // directory.
    std::vector<pid_t> smtpd;
    for (const auto& p : process_group(stack.postfix.master_pid()))
        if (p.comm == "smtpd") smtpd.push_back(p.pid);
    BOOST_TEST_REQUIRE(!smtpd.empty());
    BOOST_TEST(process_root(smtpd.front()) == fs::canonical(stack.postfix.queue_dir()));
    // etc/hosts in the chroot: without it the client would be "unknown[127.0.0.1]".
    BOOST_TEST(stack.postfix.log().find("connect from localhost[127.0.0.1]") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(client_certificates_trusted_only_from_the_partner_ca) {
    PostfixOptions options;
    options.smtpd_tls_CAfile = pki().partner_ca().cert;
    RelayStack stack(pki(), options);
    SwaksOptions o = to_remote(stack, unique("tls"));
    o.tls = true;
    o.quit_after = "MAIL";

    std::size_t mark = stack.postfix.log_size();
    o.tls_cert = o.tls_key = pki().partner_client().pem;
    SwaksResult trusted = swaks(o);
    BOOST_TEST_REQUIRE(trusted.status == 0, trusted.transcript);
    BOOST_TEST(trusted.starttls_reply() == "220 2.0.0 Ready to start TLS");
    BOOST_TEST(stack.postfix.wait_log("Trusted TLS connection established from localhost[127.0.0.1]", 10s, mark),
               stack.postfix.log_since(mark));

    mark = stack.postfix.log_size();
    o.tls_cert = o.tls_key = pki().untrusted_client().pem;
    SwaksResult untrusted = swaks(o);
    BOOST_TEST_REQUIRE(untrusted.status == 0, untrusted.transcript);
    BOOST_TEST(stack.postfix.wait_log("Untrusted TLS connection established from localhost[127.0.0.1]", 10s, mark),
               stack.postfix.log_since(mark));
}

BOOST_AUTO_TEST_CASE(sasl_plain_over_starttls_through_dovecot) {
    PostfixOptions options;
    options.dovecot_sasl = true;
    options.mynetworks = "";  // relaying must come from the login, not from our address
    options.main_cf = {{"smtpd_tls_auth_only", "yes"}};
    RelayStack stack(pki(), options, {}, false);
    DovecotSasl dovecot(stack.dir.path() / "dovecot", stack.postfix.sasl_socket());
    stack.postfix.start();

    SwaksOptions o = to_remote(stack, unique("sasl"));
    o.tls = true;
    o.auth = "PLAIN";
    o.auth_user = "kid1@example.com";
    o.auth_password = "kid1-password";
    SwaksResult ok = swaks(o);
    BOOST_TEST_REQUIRE(ok.status == 0, ok.transcript);
    BOOST_TEST(ok.auth_reply() == "235 2.7.0 Authentication successful");
    BOOST_TEST(ok.rcpt_reply("bob@remote.example") == "250 2.1.5 Ok");
    BOOST_TEST(stack.postfix.wait_log("sasl_method=PLAIN, sasl_username=kid1@example.com"), stack.postfix.log());

    o.auth_password = "wrong";
    o.quit_after = "RCPT";
    SwaksResult bad = swaks(o);
    BOOST_TEST(bad.status == 28, bad.transcript);  // swaks: AUTH failed
    BOOST_TEST(bad.auth_reply().rfind("535 5.7.8 Error: authentication failed", 0) == 0, bad.auth_reply());

    // Without AUTH the same client may not relay.
    o.auth.clear();
    SwaksResult anonymous = swaks(o);
    BOOST_TEST(anonymous.status == 24, anonymous.transcript);
    BOOST_TEST(anonymous.rcpt_reply("bob@remote.example") == "554 5.7.1 <bob@remote.example>: Relay access denied");
}

BOOST_AUTO_TEST_CASE(pinned_fingerprint_is_what_postfix_sees) {
    // Postfix's own lookup: check_ccert_access keyed by our fingerprint matches the pinned certificate
    // (self-signed, so Untrusted) and not another one.
    mw::test::TempDir maps("pins");
    fs::path pins = maps.write("pins", pki().pinned().sha256 + " REJECT pinned certificate seen\n");
    backdate(pins);
    PostfixOptions options;
    options.main_cf = {{"smtpd_tls_loglevel", "2"}};
    options.extra_main_cf = {"smtpd_recipient_restrictions = check_ccert_access texthash:" + pins.string()};
    RelayStack stack(pki(), options);
    SwaksOptions o = to_remote(stack, unique("pin"));
    o.tls = true;
    o.quit_after = "RCPT";

    o.tls_cert = o.tls_key = pki().pinned().pem;
    SwaksResult pinned = swaks(o);
    // Postfix names the client by its certificate's CN here.
    BOOST_TEST(pinned.rcpt_reply("bob@remote.example") ==
                   "554 5.7.1 <mx.other.example>: Client certificate rejected: pinned certificate seen",
               pinned.transcript);
    // smtpd_tls_loglevel 2 logs both fingerprints.
    BOOST_TEST(stack.postfix.wait_log("subject_CN=mx.other.example, issuer=mx.other.example, fingerprint=" +
                                      pki().pinned().sha256 + ", pkey_fingerprint=" + pki().pinned().pubkey_sha256),
               stack.postfix.log());
    // Computed by openssl over the DER, in Postfix's format: 32 uppercase hex pairs.
    BOOST_TEST(pki().pinned().sha256.size() == 32 * 3 - 1);

    o.tls_cert = o.tls_key = pki().untrusted_client().pem;
    SwaksResult other = swaks(o);
    BOOST_TEST(other.rcpt_reply("bob@remote.example") == "250 2.1.5 Ok", other.transcript);
}

BOOST_AUTO_TEST_CASE(sink_offers_no_starttls_so_required_tls_defers) {
    PostfixOptions options;
    options.main_cf = {{"smtp_tls_security_level", "encrypt"}};
    RelayStack stack(pki(), options);
    SwaksResult r = swaks(to_remote(stack, unique("encrypt")));
    BOOST_TEST_REQUIRE(r.status == 0, r.transcript);
    const std::string id = r.queue_id();
    BOOST_TEST(stack.postfix.wait_log(id + ": to=<bob@remote.example>"), stack.postfix.log());
    const std::string log = stack.postfix.log();
    BOOST_TEST(log.find("status=deferred (TLS is required, but was not offered by host 127.0.0.1[127.0.0.1])") !=
                   std::string::npos,
               log);
    auto ids = stack.postfix.queue_ids();
    const bool queued = std::find(ids.begin(), ids.end(), id) != ids.end();
    BOOST_TEST(queued, stack.postfix.mailq());
    BOOST_TEST(stack.sink.messages().empty());
}
