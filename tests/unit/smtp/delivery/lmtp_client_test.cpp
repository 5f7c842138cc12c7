#define BOOST_TEST_MODULE smtp delivery lmtp client
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "delivery_test_support.hpp"
#include "smtp/delivery/lmtp_client.hpp"

using namespace mw::smtp::delivery;
namespace dt = mw::delivery_test;
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Kind = DeliveryOutcome::Kind;

namespace {

const std::string message = "Subject: lmtp test\r\nFrom: <alice@example.net>\r\n\r\nfirst\r\n.dot line\r\n..two dots\r\n";

// A private Dovecot with only the LMTP service, its sockets, state, logs and mail under `dir`.
// Users come from a passwd-file: bob and carol exist, anyone else gets 550 5.1.1.
class Dovecot {
public:
    explicit Dovecot(const fs::path& dir) : dir_(dir) {
        // Dovecot never delivers as root: mail belongs to nobody when we are root, else to us.
        uid_t uid = ::getuid();
        gid_t gid = ::getgid();
        std::string internal_user;
        if (uid == 0) {
            const passwd* nobody = ::getpwnam("nobody");
            BOOST_TEST_REQUIRE(nobody != nullptr);
            uid = nobody->pw_uid;
            gid = nobody->pw_gid;
            internal_user = ::getpwnam("dovecot") ? "dovecot" : "nobody";
        } else {
            const passwd* self = ::getpwuid(uid);
            BOOST_TEST_REQUIRE(self != nullptr);
            internal_user = self->pw_name;
        }
        for (const char* sub : {"run", "state", "mail", "home"}) fs::create_directories(dir_ / sub);
        for (const char* sub : {"mail", "home"}) BOOST_TEST_REQUIRE(::chown((dir_ / sub).c_str(), uid, gid) == 0);
        std::string users;
        for (const char* name : {"bob", "carol"})
            users += std::string(name) + "@example.com::" + std::to_string(uid) + ":" + std::to_string(gid) +
                     "::" + (dir_ / "home" / name).string() + "::\n";
        std::ofstream(dir_ / "users") << users;
        std::ofstream(dir_ / "dovecot.conf")
            << "protocols = lmtp\n"
            << "base_dir = " << (dir_ / "run").string() << "\n"
            << "state_dir = " << (dir_ / "state").string() << "\n"
            << "instance_name = mailwarden-lmtp-test\n"
            << "log_path = " << (dir_ / "dovecot.log").string() << "\n"
            << "ssl = no\n"
            << "default_internal_user = " << internal_user << "\n"
            << "default_login_user = " << (uid == ::getuid() ? internal_user : std::string("nobody")) << "\n"
            << "mail_location = maildir:" << (dir_ / "mail").string() << "/%d/%n\n"
            << "passdb {\n  driver = static\n  args = nopassword=y\n}\n"
            << "userdb {\n  driver = passwd-file\n  args = username_format=%u " << (dir_ / "users").string()
            << "\n}\n"
            << "service lmtp {\n  unix_listener lmtp {\n    mode = 0666\n  }\n}\n";

        const std::string conf = (dir_ / "dovecot.conf").string();
        const std::string out = (dir_ / "dovecot.out").string();
        pid_ = ::fork();
        BOOST_TEST_REQUIRE(pid_ >= 0);
        if (pid_ == 0) {
            ::setpgid(0, 0);  // its own group: the destructor stops master and children together
            int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
            if (fd >= 0) {
                ::dup2(fd, 1);
                ::dup2(fd, 2);
            }
            ::execl("/usr/sbin/dovecot", "dovecot", "-F", "-c", conf.c_str(), static_cast<char*>(nullptr));
            ::_exit(127);
        }
        ::setpgid(pid_, pid_);
        const bool up = dt::wait_until([&] { return connectable(socket()); }, 20s);
        BOOST_TEST_REQUIRE(up, "dovecot did not start:\n" << dt::read_file(dir_ / "dovecot.out")
                                                          << dt::read_file(dir_ / "dovecot.log"));
    }
    ~Dovecot() {
        ::kill(-pid_, SIGTERM);
        for (int i = 0; i < 100; ++i) {
            if (::waitpid(pid_, nullptr, WNOHANG) == pid_) return;
            std::this_thread::sleep_for(50ms);
        }
        ::kill(-pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
    }
    fs::path socket() const { return dir_ / "run" / "lmtp"; }
    fs::path maildir(const std::string& user) const { return dir_ / "mail" / "example.com" / user; }
    std::string log() const { return dt::read_file(dir_ / "dovecot.log"); }

    static bool connectable(const fs::path& path) {
        int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un a{};
        a.sun_family = AF_UNIX;
        std::snprintf(a.sun_path, sizeof a.sun_path, "%s", path.c_str());
        bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
        ::close(fd);
        return ok;
    }

private:
    fs::path dir_;
    pid_t pid_ = -1;
};

// A scripted LMTP server on a unix socket, for replies Dovecot will not give on demand: one
// connection, recipients containing "refuse" get 550 at RCPT, the data replies come from a list.
class FakeServer {
public:
    struct Script {
        std::vector<std::string> lhlo_extensions = {"PIPELINING", "ENHANCEDSTATUSCODES"};
        std::vector<std::string> data_replies;  // one per accepted recipient, sent as given
        bool silent = false;                     // accept, then say nothing
        bool drop_after_first_data_reply = false;
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
        thread_.join();
        thread_ = std::thread([] {});
        return transcript_;
    }

private:
    void serve() {
        pollfd p{listener_, POLLIN, 0};
        if (::poll(&p, 1, 10'000) != 1) return;
        int fd = ::accept(listener_, nullptr, nullptr);
        if (fd < 0) return;
        auto send = [&](const std::string& s) { (void)!::write(fd, s.data(), s.size()); };
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
            while (line()) {
            }
            ::close(fd);
            return;
        }
        send("220 fake LMTP\r\n");
        int accepted = 0;
        while (auto l = line()) {
            if (l->starts_with("LHLO")) {
                std::string r = "250-fake\r\n";
                for (const auto& e : script_.lhlo_extensions) r += "250-" + e + "\r\n";
                send(r + "250 SIZE\r\n");
            } else if (l->starts_with("MAIL")) {
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
    const auto start = std::chrono::steady_clock::now();
    auto out = LmtpClient(options).deliver(two_recipients({"a@example.com"}));
    BOOST_TEST((std::chrono::steady_clock::now() - start) < 5s);
    BOOST_TEST((out.at(0).kind == Kind::temporary));
    BOOST_TEST(out.at(0).detail.find("timed out") != std::string::npos, out.at(0).detail);
}
