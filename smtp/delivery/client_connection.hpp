// One connection from a delivery client (LMTP, SMTP) to its server, on Boost.Asio: connect, write,
// read complete replies and start TLS (STARTTLS), each step bounded by a deadline, so a server that
// stops answering costs a timeout and never a blocked thread. Replies are parsed by
// mw::read_server_reply_line (core/smtp_reply.hpp), like every reply this product reads.
//
// Failures are Result errors (code `io` for the socket, `invalid` for a reply that is not SMTP,
// `config` for an address that cannot be parsed); their detail is the text the delivery log shows
// ("connect: Connection refused", "read: Connection timed out").
//
// A connection is used by one coroutine at a time, on an executor run by one thread (or a strand).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.hpp"
#include "core/smtp_reply.hpp"
#include "smtp/asio.hpp"

namespace mw::smtp::delivery {

using ClientEndpoint = asio::generic::stream_protocol::endpoint;

// "unix:/path", "inet:host:port", "inet:[::1]:24" (the host an IPv4 or IPv6 literal: no name is
// looked up, so a delivery never waits for DNS). `what` names the server in errors ("LMTP").
Result<ClientEndpoint> parse_client_endpoint(std::string_view address, std::string_view what);

// A complete, possibly multi-line reply.
struct ServerReply {
    SmtpReply reply;                 // the code, and the first line's enhanced status and text
    std::vector<std::string> lines;  // every line's text, the first included: EHLO keywords follow it
};

class ClientConnection {
public:
    using Clock = std::chrono::steady_clock;

    // `peer` names the server in the log ("LMTP server": "connection closed by LMTP server").
    ClientConnection(asio::any_io_executor executor, std::string peer);
    ~ClientConnection();
    ClientConnection(const ClientConnection&) = delete;
    ClientConnection& operator=(const ClientConnection&) = delete;

    asio::awaitable<Result<std::monostate>> connect(const ClientEndpoint& endpoint, Clock::time_point deadline);
    asio::awaitable<Result<std::monostate>> write(std::string_view data, Clock::time_point deadline);
    asio::awaitable<Result<ServerReply>> read_reply(Clock::time_point deadline);
    // The client handshake, after the server's 220 to STARTTLS; `sni` is the server name we ask
    // for ("" sends none, for an address). Reads and writes go through TLS from then on. The error
    // detail is OpenSSL's reason ("handshake: ...:wrong version number").
    asio::awaitable<Result<std::monostate>> start_tls(asio::ssl::context& context, const std::string& sni,
                                                      Clock::time_point deadline);
    SSL* ssl() const;  // null before start_tls
    // Unread bytes after a reply: a server must not send anything after its 220 to STARTTLS
    // before the handshake (RFC 3207 section 4; the plaintext injection of CVE-2011-0411).
    bool has_unread_bytes() const { return !buffer_.empty(); }
    void close();

private:
    struct State;
    asio::awaitable<Result<std::string>> read_line(Clock::time_point deadline);
    void arm(Clock::time_point deadline);
    boost::system::error_code disarm(boost::system::error_code ec);

    std::shared_ptr<State> state_;  // shared with the deadline timer's handler
    std::string peer_;
    std::string buffer_;
};

}  // namespace mw::smtp::delivery
