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

// What a kept-session script saw, checked outside the coroutine.
struct KeptSessionSteps {
    bool connected = false;
    std::vector<DeliveryOutcome> first, second;
    bool reusable_after_first = false, reset = false, reusable_after_second = true, reset_after_quit = true;
};

asio::awaitable<void> keep_and_reuse(std::string address, ClientProtocol protocol, KeptSessionSteps& steps) {
    ClientConnection connection(co_await asio::this_coro::executor, peer_name(protocol));
    auto endpoint = parse_client_endpoint(address, "SMTP");
    if (!endpoint) co_return;
    auto connected = co_await connection.connect(*endpoint, ClientConnection::Clock::now() + std::chrono::seconds(10));
    steps.connected = static_cast<bool>(connected);
    if (!connected) co_return;
    ClientSession session(connection, options(protocol));
    // Named, not temporaries in the co_await expressions: GCC 12 mishandles those.
    const std::string bob = "bob@example.net", carol = "carol@example.org";
    const ClientTransaction to_bob = transaction({bob}), to_carol = transaction({carol});
    steps.first = co_await session.deliver(to_bob, true);
    steps.reusable_after_first = session.reusable();
    if (!session.reusable()) co_return;
    steps.reset = co_await session.reset();
    steps.second = co_await session.deliver(to_carol, false);
    steps.reusable_after_second = session.reusable();
    steps.reset_after_quit = co_await session.reset();
}

KeptSessionSteps run_kept(const std::string& address, ClientProtocol protocol) {
    asio::io_context io;
    KeptSessionSteps steps;
    asio::co_spawn(io, keep_and_reuse(address, protocol, steps), asio::detached);
    io.run();
    return steps;
}

// A session kept open after its transaction (the SMTP courier's reuse): RSET, then the next
// transaction on the same connection; a session not asked to stay open ends with QUIT.
BOOST_AUTO_TEST_CASE(a_kept_session_carries_the_next_transaction_after_rset) {
    dt::TempDir dir("session-keep");
    dt::SmtpSink sink(dir.path() / "sink");
    KeptSessionSteps steps = run_kept(sink.address(), ClientProtocol::smtp);
    BOOST_TEST_REQUIRE(steps.connected);
    BOOST_TEST_REQUIRE(steps.first.size() == 1u);
    BOOST_TEST((steps.first[0].kind == Kind::ok), steps.first[0].reply());
    BOOST_TEST_REQUIRE(steps.reusable_after_first);
    BOOST_TEST(steps.reset);
    BOOST_TEST_REQUIRE(steps.second.size() == 1u);
    BOOST_TEST((steps.second[0].kind == Kind::ok), steps.second[0].reply());
    BOOST_TEST(!steps.reusable_after_second);
    BOOST_TEST(!steps.reset_after_quit);  // QUIT was sent: the session is gone
}

// LMTP sessions are never kept (nor are they by Postfix's lmtp client).
BOOST_AUTO_TEST_CASE(an_lmtp_session_is_never_kept) {
    dt::TempDir dir("session-keep-lmtp");
    dt::SmtpSink sink(dir.path() / "sink", {"-L"});
    KeptSessionSteps steps = run_kept(sink.address(), ClientProtocol::lmtp);
    BOOST_TEST_REQUIRE(steps.connected);
    BOOST_TEST_REQUIRE(steps.first.size() == 1u);
    BOOST_TEST((steps.first[0].kind == Kind::ok), steps.first[0].reply());
    BOOST_TEST(!steps.reusable_after_first);
}
