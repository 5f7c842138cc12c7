// The client side of one SMTP or LMTP session, the way Postfix's smtp program serves both
// protocols: greeting, EHLO or LHLO, MAIL, RCPT (pipelined when the server offers PIPELINING,
// RFC 2920), DATA with dot-stuffing (RFC 5321 section 4.5.2), then one final reply for all
// recipients (SMTP) or one per accepted recipient (LMTP, RFC 2033 section 4.2), and QUIT.
//
// Every recipient gets an outcome: 2xx ok, 4xx temporary, 5xx permanent, as the server said. A
// server that cannot be reached, does not greet, times out or drops the connection makes every
// recipient without a final answer temporary (4.4.1 / 4.4.2), so nothing is bounced because the
// server was restarting, and a duplicate delivery later is preferred to a loss.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "smtp/asio.hpp"
#include "smtp/delivery/client_connection.hpp"
#include "smtp/delivery/delivery_outcome.hpp"

namespace mw::smtp::delivery {

enum class ClientProtocol { smtp, lmtp };

struct ClientOptions {
    ClientProtocol protocol = ClientProtocol::lmtp;
    std::string helo_name = "localhost";                // our host name for EHLO / LHLO
    std::chrono::milliseconds connect_timeout{30'000};
    std::chrono::milliseconds command_timeout{60'000};  // each reply before the data
    std::chrono::milliseconds data_timeout{300'000};    // sending the data, and each final reply
};

struct ClientTransaction {
    std::string sender;                   // without <>; "" = null reverse path
    std::vector<std::string> recipients;  // without <>
    bool body_8bit = false;               // send BODY=8BITMIME when the server offers it
    bool smtputf8 = false;                // send SMTPUTF8 when the server offers it
    std::string_view data;                // the message, CRLF line endings, sent as it is
};

// "LMTP server" / "SMTP server": how the log and the public texts name the peer.
std::string peer_name(ClientProtocol protocol);

// One transaction on a connected connection.
class ClientSession {
public:
    ClientSession(ClientConnection& connection, const ClientOptions& options);

    // One outcome per recipient of `transaction`, in order; ends with QUIT.
    asio::awaitable<std::vector<DeliveryOutcome>> deliver(const ClientTransaction& transaction);

    // The outcomes of a server we could not talk to (4.4.1) or lost (4.4.2).
    DeliveryOutcome unavailable(std::string detail) const;
    DeliveryOutcome lost(std::string detail) const;

private:
    struct Extensions {
        bool pipelining = false;
        bool eight_bit = false;
        bool smtputf8 = false;
    };
    using Time = ClientConnection::Clock::time_point;

    // nullopt when the session may go on; otherwise the outcome of every recipient without one
    // (QUIT was sent where the connection still stands).
    asio::awaitable<std::optional<DeliveryOutcome>> open();
    asio::awaitable<std::optional<DeliveryOutcome>> envelope(const ClientTransaction& transaction,
                                                             std::vector<std::optional<DeliveryOutcome>>& results,
                                                             std::vector<std::size_t>& accepted);
    asio::awaitable<Result<ServerReply>> command(const std::string& line);  // send, then read its reply
    asio::awaitable<Result<ServerReply>> reply_to(const std::string& line);  // pipelined: sent already
    asio::awaitable<Result<std::monostate>> send_data(std::string_view data, Time deadline);
    asio::awaitable<void> quit();
    DeliveryOutcome outcome_of(const SmtpReply& reply) const;
    Time after(std::chrono::milliseconds d) const { return ClientConnection::Clock::now() + d; }

    ClientConnection& connection_;
    const ClientOptions& options_;
    Extensions extensions_;
};

// Connects to `address` ("unix:/path", "inet:host:port") on the calling coroutine's executor and
// runs one session. An address that cannot be parsed is a configuration error (4.3.5, temporary:
// the admin fixes it and the queue retries).
asio::awaitable<std::vector<DeliveryOutcome>> deliver_to(std::string address, ClientOptions options,
                                                         ClientTransaction transaction);

}  // namespace mw::smtp::delivery
