// The ETRN client (README "ETRN"): what it says to a server and what it logs, against a scripted
// server on loopback (the real Postfix is standalone_etrn_test's peer).
#define BOOST_TEST_MODULE smtp etrn client
#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "policy/ruleset.hpp"
#include "smtp/delivery/etrn_client.hpp"

using namespace mw::smtp::delivery;
namespace policy = mw::policy;

namespace {

// Accepts one connection on 127.0.0.1 and answers each line with the next scripted reply; keeps
// the lines it read.
class ScriptedServer {
public:
    explicit ScriptedServer(std::vector<std::string> replies) : replies_(std::move(replies)) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        BOOST_REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        BOOST_REQUIRE(::listen(fd_, 1) == 0);
        socklen_t len = sizeof a;
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
        port_ = ntohs(a.sin_port);
        thread_ = std::thread([this] { serve(); });
    }
    ~ScriptedServer() {
        if (thread_.joinable()) thread_.join();
        ::close(fd_);
    }
    std::uint16_t port() const { return port_; }
    std::vector<std::string> lines() {
        if (thread_.joinable()) thread_.join();
        return lines_;
    }

private:
    void serve() {
        if (replies_.empty()) return;  // only holds a port
        int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0) return;
        std::string buffer;
        auto send = [c](const std::string& s) { return ::write(c, s.data(), s.size()) == static_cast<ssize_t>(s.size()); };
        std::size_t next = 0;
        if (next < replies_.size() && send(replies_[next++] + "\r\n")) {
            char chunk[512];
            while (next < replies_.size()) {
                auto eol = buffer.find("\r\n");
                if (eol == std::string::npos) {
                    ssize_t n = ::read(c, chunk, sizeof chunk);
                    if (n <= 0) break;
                    buffer.append(chunk, static_cast<std::size_t>(n));
                    continue;
                }
                lines_.push_back(buffer.substr(0, eol));
                buffer.erase(0, eol + 2);
                if (!send(replies_[next++] + "\r\n")) break;
            }
        }
        ::close(c);
    }
    std::vector<std::string> replies_;
    std::vector<std::string> lines_;
    int fd_ = -1;
    std::uint16_t port_ = 0;
    std::thread thread_;
};

policy::SendConnector connector(std::uint16_t port, std::vector<std::string> domains) {
    policy::SendConnector c;
    c.name = "Backup MX";
    policy::EtrnRequest e;
    e.server = *policy::parse_smart_host("[127.0.0.1]:" + std::to_string(port));
    e.domains = std::move(domains);
    c.etrn = e;
    return c;
}

}  // namespace

BOOST_AUTO_TEST_CASE(one_etrn_per_domain_with_helo_when_ehlo_is_refused) {
    ScriptedServer server({"220 backup.example ESMTP", "502 5.5.1 EHLO not implemented", "250 backup.example",
                           "250 Queuing started", "458 Unable to queue messages", "221 Bye"});
    EtrnClientConfig config;
    config.helo_name = "mx.example.com";
    mw::smtp::asio::io_context io;
    auto logged = request_etrn(io, connector(server.port(), {"example.com", "example.org"}), config);
    const std::string at = "[127.0.0.1]:" + std::to_string(server.port());
    BOOST_TEST(server.lines() == (std::vector<std::string>{"EHLO mx.example.com", "HELO mx.example.com",
                                                           "ETRN example.com", "ETRN example.org", "QUIT"}),
               boost::test_tools::per_element());
    BOOST_TEST(logged == (std::vector<std::string>{
                             "ETRN example.com to " + at + " (send connector Backup MX): 250 Queuing started",
                             "ETRN example.org to " + at + " (send connector Backup MX): 458 Unable to queue messages"}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_server_that_is_not_there_is_logged) {
    std::uint16_t port = 0;
    {
        ScriptedServer gone({});  // takes a free port, then closes at once
        port = gone.port();
    }
    mw::smtp::asio::io_context io;
    auto logged = request_etrn(io, connector(port, {"example.com"}), EtrnClientConfig{});
    BOOST_TEST_REQUIRE(logged.size() == 1u);
    BOOST_TEST(logged[0].starts_with("ETRN to [127.0.0.1]:" + std::to_string(port) + " (send connector Backup MX): connect"),
               logged[0]);
}
