// The SMTP/LMTP client session with the protocol as a parameter, against Postfix's smtp-sink: in
// SMTP one reply after the data answers for every recipient, in LMTP one per recipient; the
// session falls back to HELO, and a refused MAIL or RCPT ends the transaction before DATA.
// (Dovecot, the LMTP peer in production, is lmtp_client_test's.)
#define BOOST_TEST_MODULE smtp delivery client session
#include <boost/test/unit_test.hpp>

#include "peer_test_support.hpp"
#include "smtp/delivery/client_session.hpp"

using namespace mw::smtp::delivery;
namespace dt = mw::delivery_test;
namespace asio = boost::asio;
using Kind = DeliveryOutcome::Kind;

namespace {

const std::string message = "Subject: session test\r\n\r\nbody\r\n.dot\r\n";

ClientOptions options(ClientProtocol protocol) {
    ClientOptions o;
    o.protocol = protocol;
    o.helo_name = "mx.example.com";
    return o;
}

ClientTransaction transaction(std::vector<std::string> recipients) {
    ClientTransaction t;
    t.sender = "alice@example.com";
    t.recipients = std::move(recipients);
    t.data = message;
    return t;
}

// One session on an io_context of the test's own.
std::vector<DeliveryOutcome> run(const std::string& address, const ClientOptions& o, const ClientTransaction& t) {
    asio::io_context io;
    std::vector<DeliveryOutcome> out;
    bool threw = false;
    asio::co_spawn(io, deliver_to(address, o, t), [&](std::exception_ptr e, std::vector<DeliveryOutcome> r) {
        threw = e != nullptr;
        out = std::move(r);
    });
    io.run();
    BOOST_TEST(!threw);
    return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(smtp_one_final_reply_answers_for_every_recipient) {
    dt::TempDir dir("session-smtp");
    dt::SmtpSink sink(dir.path() / "sink");
    auto out = run(sink.address(), options(ClientProtocol::smtp), transaction({"bob@example.net", "carol@example.org"}));
    BOOST_TEST_REQUIRE(out.size() == 2u);
    for (const auto& o : out) {
        BOOST_TEST((o.kind == Kind::ok), o.reply() << " " << o.detail);
        BOOST_TEST(o.reply() == "250 2.0.0 Ok");
    }
}

BOOST_AUTO_TEST_CASE(lmtp_one_final_reply_per_recipient) {
    dt::TempDir dir("session-lmtp");
    dt::SmtpSink sink(dir.path() / "sink", {"-L"});
    auto out = run(sink.address(), options(ClientProtocol::lmtp), transaction({"bob@example.net", "carol@example.org"}));
    BOOST_TEST_REQUIRE(out.size() == 2u);
    for (const auto& o : out) {
        BOOST_TEST((o.kind == Kind::ok), o.reply() << " " << o.detail);
        BOOST_TEST(o.reply() == "250 2.2.0 Ok");
    }
}

BOOST_AUTO_TEST_CASE(smtp_falls_back_to_helo_when_the_server_does_not_know_ehlo) {
    dt::TempDir dir("session-helo");
    dt::SmtpSink sink(dir.path() / "sink", {"-e"});
    auto out = run(sink.address(), options(ClientProtocol::smtp), transaction({"bob@example.net"}));
    BOOST_TEST_REQUIRE(out.size() == 1u);
    BOOST_TEST((out[0].kind == Kind::ok), out[0].reply() << " " << out[0].detail);
}

BOOST_AUTO_TEST_CASE(a_refused_mail_decides_for_every_recipient) {
    dt::TempDir dir("session-mail");
    dt::SmtpSink sink(dir.path() / "sink", {"-f", "MAIL"});
    auto out = run(sink.address(), options(ClientProtocol::smtp), transaction({"bob@example.net", "carol@example.org"}));
    BOOST_TEST_REQUIRE(out.size() == 2u);
    for (const auto& o : out) {
        BOOST_TEST((o.kind == Kind::permanent), o.reply() << " " << o.detail);
        BOOST_TEST(o.smtp_reply.code / 100 == 5);
    }
    BOOST_TEST(out[0].reply() == out[1].reply());
}

BOOST_AUTO_TEST_CASE(recipients_refused_for_now_keep_the_servers_reply) {
    dt::TempDir dir("session-rcpt");
    dt::SmtpSink sink(dir.path() / "sink", {"-r", "RCPT"});
    auto out = run(sink.address(), options(ClientProtocol::smtp), transaction({"bob@example.net", "carol@example.org"}));
    BOOST_TEST_REQUIRE(out.size() == 2u);
    for (const auto& o : out) {
        BOOST_TEST((o.kind == Kind::temporary), o.reply() << " " << o.detail);
        BOOST_TEST(o.smtp_reply.code / 100 == 4);
        BOOST_TEST(o.smtp_reply.status != "4.4.2", "the server's refusal, not a lost connection: " << o.reply());
    }
}

// RFC 3461: to a server that offers DSN, the sender's requests travel with the message (RET and
// ENVID at MAIL, NOTIFY and ORCPT at RCPT); smtp-sink writes the parameters it got into its dump.
BOOST_AUTO_TEST_CASE(dsn_requests_are_passed_on_to_a_server_that_offers_dsn) {
    dt::TempDir dir("session-dsn");
    const std::filesystem::path dumps = dir.path() / "dumps";
    std::filesystem::create_directories(dumps);
    // smtp-sink writes its dumps as nobody when started as root.
    if (::getuid() == 0) BOOST_TEST_REQUIRE(::chown(dumps.c_str(), ::getpwnam("nobody")->pw_uid, ::getpwnam("nobody")->pw_gid) == 0);
    dt::SmtpSink sink(dir.path() / "sink", std::vector<std::string>{"-d", (dumps / "%Y%m%d%H%M%S.").string()});
    ClientTransaction t = transaction({"bob@example.net", "carol@example.org"});
    t.dsn = {{"SUCCESS,FAILURE", "rfc822;bob@example.net"}, {"NEVER", ""}};
    t.dsn_ret = "HDRS";
    t.dsn_envid = "id 42";
    auto out = run(sink.address(), options(ClientProtocol::smtp), t);
    BOOST_TEST_REQUIRE(out.size() == 2u);
    BOOST_TEST((out[0].kind == Kind::ok), out[0].reply() << " " << out[0].detail);
    BOOST_TEST_REQUIRE(dt::wait_until([&] { return dt::files_in(dumps).size() == 1u; }, std::chrono::seconds(10)));
    const std::string dump = dt::read_file(dt::files_in(dumps).front());
    BOOST_TEST(dump.find("X-Mail-Args: <alice@example.com> RET=HDRS ENVID=id+2042") != std::string::npos, dump);
    BOOST_TEST(dump.find("X-Rcpt-Args: <bob@example.net> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob@example.net") !=
                   std::string::npos,
               dump);
    BOOST_TEST(dump.find("X-Rcpt-Args: <carol@example.org> NOTIFY=NEVER") != std::string::npos, dump);
}
