// Listening sockets: unix socket mode and stale-file handling, and TCP_NODELAY on inet listeners
// reaching the accepted connections (Postfix's milter and table clients stall ~40 ms per small
// write under Nagle's algorithm).
#define BOOST_TEST_MODULE socket_listener
#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <fstream>

#include "daemon/socket_listener.hpp"
#include "test_support.hpp"

using namespace mw;
using namespace mw::daemon;

namespace {

std::uint16_t bound_port(int fd) {
    sockaddr_in sa{};
    socklen_t len = sizeof sa;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
    return ntohs(sa.sin_port);
}

int accepted_nodelay(int listener) {
    UniqueFd client(::socket(AF_INET, SOCK_STREAM, 0));
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(bound_port(listener));
    ::inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    BOOST_REQUIRE(::connect(client.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
    UniqueFd server(::accept(listener, nullptr, nullptr));
    BOOST_REQUIRE(server);
    int value = 0;
    socklen_t len = sizeof value;
    ::getsockopt(server.get(), IPPROTO_TCP, TCP_NODELAY, &value, &len);
    return value;
}

// A listener someone else opened without TCP_NODELAY (as libmilter does).
UniqueFd plain_listener() {
    UniqueFd fd(::socket(AF_INET, SOCK_STREAM, 0));
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    ::inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    BOOST_REQUIRE(::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
    BOOST_REQUIRE(::listen(fd.get(), 4) == 0);
    return fd;
}

}  // namespace

BOOST_AUTO_TEST_CASE(inet_listener_connections_have_nodelay) {
    UniqueFd fd = open_listener(ListenAddress{ListenAddress::Kind::inet, {}, "127.0.0.1", 0}, {});
    BOOST_TEST(accepted_nodelay(fd.get()) != 0);
}

BOOST_AUTO_TEST_CASE(nodelay_set_on_a_foreign_listener_by_port) {
    UniqueFd fd = plain_listener();
    BOOST_TEST(accepted_nodelay(fd.get()) == 0);  // the kernel default: the check below can fail
    set_nodelay_on_listeners(bound_port(fd.get()));
    BOOST_TEST(accepted_nodelay(fd.get()) != 0);
}

BOOST_AUTO_TEST_CASE(unix_socket_mode_and_stale_file) {
    mw::test::TempDir dir("sock");
    auto address = parse_listen_address("unix:" + (dir.path() / "sub/policy.sock").string());
    {
        UniqueFd first = open_listener(address, {std::nullopt, std::nullopt, 0660});
        struct stat st{};
        BOOST_REQUIRE(::stat(address.path.c_str(), &st) == 0);
        BOOST_TEST((st.st_mode & 0777) == 0660u);
        // A second daemon must not steal the socket from a live one.
        BOOST_CHECK_THROW(open_listener(address, {std::nullopt, std::nullopt, 0660}), std::runtime_error);
    }
    // The first one is gone (its file stays behind): the socket is replaced.
    UniqueFd again = open_listener(address, {std::nullopt, std::nullopt, 0600});
    struct stat st{};
    BOOST_REQUIRE(::stat(address.path.c_str(), &st) == 0);
    BOOST_TEST((st.st_mode & 0777) == 0600u);
    // A regular file in the way is never deleted.
    auto file = dir.path() / "notasocket";
    std::ofstream(file) << "keep me";
    BOOST_CHECK_THROW(open_listener(parse_listen_address("unix:" + file.string()), {}), std::runtime_error);
    BOOST_TEST(std::filesystem::exists(file));
}
