#define BOOST_TEST_MODULE smtp delivery lmtp client
#include <boost/test/unit_test.hpp>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <deque>
#include <future>

#include "peer_test_support.hpp"
#include "smtp/delivery/lmtp_client.hpp"

using namespace mw::smtp::delivery;
namespace dt = mw::delivery_test;
namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Kind = DeliveryOutcome::Kind;
using dt::Dovecot;

namespace {

const std::string message = "Subject: lmtp test\r\nFrom: <alice@example.net>\r\n\r\nfirst\r\n.dot line\r\n..two dots\r\n";

// A scripted LMTP server on a unix socket, for replies and timings Dovecot will not give on demand:
// one connection, recipients containing "refuse" get 550 at RCPT, the data replies come from a list.
class FakeServer {
public:
    struct Script {
        std::vector<std::string> lhlo_extensions = {"PIPELINING", "ENHANCEDSTATUSCODES"};
        std::vector<std::string> data_replies;  // one per accepted recipient, sent as given
        bool silent = false;                     // accept, then say nothing
        std::shared_future<void> hold;           // silent: close the connection once this is ready
        bool drop_after_first_data_reply = false;
        // MAIL is answered only after this many more lines (the RCPTs) have arrived: a client that
        // waits for each reply before the next command never gets one.
        std::size_t lines_before_mail_reply = 0;
    };

    FakeServer(const fs::path& path, Script script) : path_(path), script_(std::move(script)) {
        listener_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un a{};
        a.sun_family = AF_UNIX;
        std::snprintf(a.sun_path, sizeof a.sun_path, "%s", path.c_str());
        BOOST_TEST_REQUIRE(::bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        BOOST_TEST_REQUIRE(::listen(listener_, 4) == 0);
        thread_ = std::thread([this] { serve(); });
    }
    ~FakeServer() {
        thread_.join();
        ::close(listener_);
    }
    std::string address() const { return "unix:" + path_.string(); }
    // What the client sent (after the server finished).
    std::string transcript() {
        finish();
        return transcript_;
    }
    // Whether the client had sent more than MAIL when MAIL was read (after the server finished).
    bool sent_ahead_of_mail_reply() {
        finish();
        return sent_ahead_;
    }

private:
    void finish() {
        if (!thread_.joinable()) return;
        thread_.join();
        thread_ = std::thread([] {});
    }

    void serve() {
        pollfd p{listener_, POLLIN, 0};
        if (::poll(&p, 1, 10'000) != 1) return;
        int fd = ::accept(listener_, nullptr, nullptr);
        if (fd < 0) return;
        auto send = [&](const std::string& s) { (void)!::send(fd, s.data(), s.size(), MSG_NOSIGNAL); };
        std::string buffer;
        auto line = [&]() -> std::optional<std::string> {
            for (;;) {
                if (auto lf = buffer.find("\r\n"); lf != std::string::npos) {
                    std::string l = buffer.substr(0, lf);
                    buffer.erase(0, lf + 2);
                    transcript_ += l + "\n";
                    return l;
                }
                char c[4096];
                ssize_t n = ::read(fd, c, sizeof c);
                if (n <= 0) return std::nullopt;
                buffer.append(c, static_cast<std::size_t>(n));
            }
        };
        if (script_.silent) {
            if (script_.hold.valid()) {
                script_.hold.wait();
            } else {
                while (line()) {
                }
            }
            ::close(fd);
            return;
        }
        std::deque<std::string> ahead;  // lines read before their turn
        auto next = [&]() -> std::optional<std::string> {
            if (ahead.empty()) return line();
            std::string l = std::move(ahead.front());
            ahead.pop_front();
            return l;
        };
        send("220 fake LMTP\r\n");
        int accepted = 0;
        while (auto l = next()) {
            if (l->starts_with("LHLO")) {
                std::string r = "250-fake\r\n";
                for (const auto& e : script_.lhlo_extensions) r += "250-" + e + "\r\n";
                send(r + "250 SIZE\r\n");
            } else if (l->starts_with("MAIL")) {
                sent_ahead_ = sent_ahead_ || !buffer.empty();
                for (std::size_t i = 0; i < script_.lines_before_mail_reply; ++i) {
                    auto more = line();
                    if (!more) break;
                    ahead.push_back(std::move(*more));
                }
                send("250 2.1.0 Ok\r\n");
            } else if (l->starts_with("RCPT")) {
                if (l->find("refuse") != std::string::npos) {
                    send("550-5.1.1 first line\r\n550 5.1.1 <" + l->substr(9) + " no such user\r\n");
                } else {
                    ++accepted;
                    send("250 2.1.5 Ok\r\n");
                }
            } else if (*l == "DATA") {
                send("354 go ahead\r\n");
                while (auto d = line())
                    if (*d == ".") break;
                for (int i = 0; i < accepted && i < static_cast<int>(script_.data_replies.size()); ++i) {
                    send(script_.data_replies[i]);
                    if (script_.drop_after_first_data_reply) break;
                }
                if (script_.drop_after_first_data_reply) break;
            } else if (*l == "QUIT") {
                send("221 2.0.0 Bye\r\n");
                break;
            } else {
                send("500 5.5.1 what\r\n");
            }
        }
        ::close(fd);
    }

    fs::path path_;
    Script script_;
    int listener_ = -1;
    std::thread thread_;
    std::string transcript_;
    bool sent_ahead_ = false;
};

LmtpMessage two_recipients(std::vector<std::string> rcpts) {
    return LmtpMessage{"alice@example.net", std::move(rcpts), false, false, message};
}

}  // namespace

BOOST_AUTO_TEST_CASE(dovecot_delivers_to_each_recipient_and_refuses_unknown_users) {
    dt::TempDir dir("lmtp-dovecot");
    Dovecot dovecot(dir.path() / "dovecot");
    LmtpClient client({"unix:" + dovecot.socket().string(), "mx.example.com"});
    BOOST_TEST(client.relay_name() == "lmtp[" + dovecot.socket().string() + "]");

    auto out = client.deliver(two_recipients({"bob@example.com", "nobody@example.com", "carol@example.com"}));
    BOOST_TEST_REQUIRE(out.size() == 3u);
    BOOST_TEST((out[0].kind == Kind::ok), out[0].reply());
    BOOST_TEST(out[0].smtp_reply.status == "2.0.0");
    BOOST_TEST((out[1].kind == Kind::permanent), out[1].reply());
    BOOST_TEST(out[1].smtp_reply.code == 550);
    BOOST_TEST(out[1].smtp_reply.status == "5.1.1");
    BOOST_TEST((out[2].kind == Kind::ok), out[2].reply());

    for (const char* user : {"bob", "carol"}) {
        auto files = dt::files_in(dovecot.maildir(user) / "new");
        BOOST_TEST_REQUIRE(files.size() == 1u, user << "\n" << dovecot.log());
        const std::string content = dt::read_file(files[0]);
        BOOST_TEST(content.find("Return-Path: <alice@example.net>") != std::string::npos, content);
        // Dovecot adds Delivered-To only when the transaction has a single recipient; its Received
        // header names our LHLO.
        BOOST_TEST(content.find("Received: from mx.example.com") != std::string::npos, content);
        BOOST_TEST(content.find("Subject: lmtp test") != std::string::npos);
        // Dot-stuffing was undone by the server: the lines arrive as they were.
        BOOST_TEST(content.find("\n.dot line\n") != std::string::npos, content);
        BOOST_TEST(content.find("\n..two dots\n") != std::string::npos, content);
        BOOST_TEST(content.find("Return-Path", 1) == std::string::npos);  // ours were not added
    }
    BOOST_TEST(!fs::exists(dovecot.maildir("nobody")));

    // Null sender (a bounce) and every recipient refused: no DATA, all permanent.
    auto refused = client.deliver(LmtpMessage{"", {"x@example.com", "y@example.com"}, false, false, message});
    BOOST_TEST_REQUIRE(refused.size() == 2u);
    BOOST_TEST((refused[0].kind == Kind::permanent && refused[1].kind == Kind::permanent));
}

BOOST_AUTO_TEST_CASE(connection_failures_are_temporary_for_everyone) {
    dt::TempDir dir("lmtp-refused");
    for (std::string address : {"unix:" + (dir.path() / "missing.sock").string(), std::string("inet:127.0.0.1:1"),
                                std::string("inet:[::1]:1")}) {
        LmtpClient client({address, "mx.example.com", 2s});
        auto out = client.deliver(two_recipients({"bob@example.com", "carol@example.com"}));
        BOOST_TEST_REQUIRE(out.size() == 2u);
        for (const auto& o : out) {
            BOOST_TEST((o.kind == Kind::temporary), address);
            BOOST_TEST(o.smtp_reply.status == "4.4.1");
            BOOST_TEST(o.detail.find("connect") != std::string::npos, o.detail);
        }
    }
    LmtpClient bad({"inet:localhost:24"});
    auto out = bad.deliver(two_recipients({"bob@example.com"}));
    BOOST_TEST((out.at(0).kind == Kind::temporary));
    BOOST_TEST(out.at(0).smtp_reply.status == "4.3.5");
}

BOOST_AUTO_TEST_CASE(per_recipient_data_replies) {
    dt::TempDir dir("lmtp-fake");
    FakeServer::Script script;
    script.lhlo_extensions = {"8BITMIME", "PIPELINING"};
    script.data_replies = {"250 2.0.0 saved\r\n", "452-4.2.2 mailbox\r\n452 4.2.2 full\r\n",
                           "554 5.6.0 content refused\r\n"};
    FakeServer server(dir.path() / "lmtp.sock", script);
    LmtpClient client({server.address(), "mx.example.com"});
    LmtpMessage m{"alice@example.net", {"a@example.com", "refuse@example.com", "b@example.com", "c@example.com"},
                  true, false, message};
    auto out = client.deliver(m);
    BOOST_TEST_REQUIRE(out.size() == 4u);
    BOOST_TEST((out[0].kind == Kind::ok));
    BOOST_TEST((out[1].kind == Kind::permanent));
    BOOST_TEST(out[1].reply() == "550 5.1.1 first line");
    BOOST_TEST((out[2].kind == Kind::temporary));
    BOOST_TEST(out[2].reply() == "452 4.2.2 mailbox");
    BOOST_TEST((out[3].kind == Kind::permanent));
    BOOST_TEST(out[3].smtp_reply.status == "5.6.0");

    const std::string t = server.transcript();
    BOOST_TEST(t.find("LHLO mx.example.com\n") != std::string::npos);
    BOOST_TEST(t.find("MAIL FROM:<alice@example.net> BODY=8BITMIME\n") != std::string::npos, t);
    BOOST_TEST(t.find("\n..dot line\n...two dots\n.\n") != std::string::npos, t);  // dot-stuffed
    BOOST_TEST(t.find("Return-Path") == std::string::npos);
    BOOST_TEST(t.ends_with("QUIT\n"));
}

BOOST_AUTO_TEST_CASE(no_8bitmime_parameter_unless_offered) {
    dt::TempDir dir("lmtp-fake");
    FakeServer::Script script;
    script.data_replies = {"250 2.0.0 saved\r\n"};
    FakeServer server(dir.path() / "lmtp.sock", script);
    LmtpClient client({server.address(), "mx.example.com"});
    auto out = client.deliver(LmtpMessage{"alice@example.net", {"a@example.com"}, true, true, message});
    BOOST_TEST((out.at(0).kind == Kind::ok));
    BOOST_TEST(server.transcript().find("MAIL FROM:<alice@example.net>\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_connection_lost_after_some_replies_defers_the_rest) {
    dt::TempDir dir("lmtp-fake");
    FakeServer::Script script;
    script.data_replies = {"250 2.0.0 saved\r\n", "250 2.0.0 saved\r\n"};
    script.drop_after_first_data_reply = true;
    FakeServer server(dir.path() / "lmtp.sock", script);
    LmtpClient client({server.address(), "mx.example.com"});
    auto out = client.deliver(two_recipients({"a@example.com", "b@example.com"}));
    BOOST_TEST_REQUIRE(out.size() == 2u);
    BOOST_TEST((out[0].kind == Kind::ok));
    BOOST_TEST((out[1].kind == Kind::temporary));
    BOOST_TEST(out[1].smtp_reply.status == "4.4.2");
}

BOOST_AUTO_TEST_CASE(a_silent_server_times_out_temporarily) {
    dt::TempDir dir("lmtp-fake");
    FakeServer::Script script;
    script.silent = true;
    FakeServer server(dir.path() / "lmtp.sock", script);
    LmtpOptions options{server.address(), "mx.example.com", 2s, 300ms, 300ms};
    auto out = LmtpClient(options).deliver(two_recipients({"a@example.com"}));
    BOOST_TEST((out.at(0).kind == Kind::temporary));
    BOOST_TEST(out.at(0).detail.find("timed out") != std::string::npos, out.at(0).detail);
}

BOOST_AUTO_TEST_CASE(rcpt_commands_are_pipelined_when_the_server_offers_it) {
    dt::TempDir dir("lmtp-fake");
    FakeServer::Script script;
    script.lhlo_extensions = {"PIPELINING", "ENHANCEDSTATUSCODES"};
    script.lines_before_mail_reply = 3;  // the three RCPTs, sent before MAIL's reply came
    script.data_replies = {"250 2.0.0 saved\r\n", "250 2.0.0 saved\r\n"};
    FakeServer server(dir.path() / "lmtp.sock", script);
    LmtpClient client({server.address(), "mx.example.com", 10s, 10s, 10s});
    auto out = client.deliver(two_recipients({"a@example.com", "refuse@example.com", "b@example.com"}));
    BOOST_TEST_REQUIRE(out.size() == 3u);
    BOOST_TEST((out[0].kind == Kind::ok), out[0].reply() << " " << out[0].detail);
    BOOST_TEST((out[1].kind == Kind::permanent), out[1].reply());
    BOOST_TEST(out[1].reply() == "550 5.1.1 first line");
    BOOST_TEST((out[2].kind == Kind::ok), out[2].reply());
    const std::string t = server.transcript();
    BOOST_TEST(t.find("MAIL FROM:<alice@example.net>\nRCPT TO:<a@example.com>\nRCPT TO:<refuse@example.com>\n"
                      "RCPT TO:<b@example.com>\nDATA\n") != std::string::npos,
               t);
}

BOOST_AUTO_TEST_CASE(without_pipelining_each_command_waits_for_its_reply) {
    dt::TempDir dir("lmtp-fake");
    FakeServer::Script script;
    script.lhlo_extensions = {"ENHANCEDSTATUSCODES"};
    script.data_replies = {"250 2.0.0 saved\r\n", "250 2.0.0 saved\r\n"};
    FakeServer server(dir.path() / "lmtp.sock", script);
    LmtpClient client({server.address(), "mx.example.com"});
    auto out = client.deliver(two_recipients({"a@example.com", "b@example.com"}));
    BOOST_TEST_REQUIRE(out.size() == 2u);
    BOOST_TEST((out[0].kind == Kind::ok && out[1].kind == Kind::ok));
    BOOST_TEST(!server.sent_ahead_of_mail_reply());
}

// The client is asynchronous: on one io_context run by one thread, a session waiting for a server
// that says nothing does not hold up a session with Dovecot. The stalled server lets go only once
// the Dovecot session is over; a client that blocked its thread would wait for its own timeout
// instead, and finish the stalled session first.
BOOST_AUTO_TEST_CASE(sessions_on_one_io_context_do_not_wait_for_each_other) {
    dt::TempDir dir("lmtp-async");
    Dovecot dovecot(dir.path() / "dovecot");
    std::promise<void> release;
    FakeServer::Script script;
    script.silent = true;
    script.hold = release.get_future().share();
    FakeServer stalled(dir.path() / "stalled.sock", script);
    const LmtpClient to_stalled({stalled.address(), "mx.example.com", 60s, 60s, 60s});
    const LmtpClient to_dovecot({dovecot.address(), "mx.example.com"});
    const LmtpMessage for_stalled = two_recipients({"a@example.com"});
    const LmtpMessage for_dovecot = two_recipients({"bob@example.com"});

    asio::io_context io;
    bool released = false;
    std::vector<std::string> finished;
    std::vector<DeliveryOutcome> stalled_out, dovecot_out;
    asio::co_spawn(io, to_stalled.async_deliver(for_stalled),
                   [&](std::exception_ptr, std::vector<DeliveryOutcome> out) {
                       finished.push_back("stalled");
                       stalled_out = std::move(out);
                   });
    asio::co_spawn(io, to_dovecot.async_deliver(for_dovecot),
                   [&](std::exception_ptr, std::vector<DeliveryOutcome> out) {
                       finished.push_back("dovecot");
                       dovecot_out = std::move(out);
                       release.set_value();
                       released = true;
                   });
    io.run();
    if (!released) release.set_value();  // whatever happened, the stalled server lets go

    BOOST_TEST_REQUIRE(finished.size() == 2u);
    BOOST_TEST(finished[0] == "dovecot");
    BOOST_TEST_REQUIRE(dovecot_out.size() == 1u);
    BOOST_TEST((dovecot_out[0].kind == Kind::ok), dovecot_out[0].reply() << " " << dovecot_out[0].detail);
    BOOST_TEST(dt::files_in(dovecot.maildir("bob") / "new").size() == 1u, dovecot.log());
    BOOST_TEST_REQUIRE(stalled_out.size() == 1u);
    BOOST_TEST(stalled_out[0].reply() == "451 4.4.2 lost connection with LMTP server");
    BOOST_TEST(stalled_out[0].detail == "connection closed by LMTP server");
}
