// The client side of one SMTP or LMTP session, the way Postfix's smtp program serves both
// protocols: greeting, EHLO or LHLO, MAIL, RCPT (pipelined when the server offers PIPELINING,
// RFC 2920), DATA with dot-stuffing (RFC 5321 section 4.5.2), then one final reply for all
// recipients (SMTP) or one per accepted recipient (LMTP, RFC 2033 section 4.2), and QUIT.
//
// SMTP to other servers adds: STARTTLS (RFC 3207) as the route's plan says, EHLO again over TLS;
// AUTH PLAIN or LOGIN (RFC 4954), only ever over TLS; SIZE (RFC 1870: a message larger than the
// server takes bounces 5.3.4 before MAIL); BODY=8BITMIME and SMTPUTF8 when offered (a message that
// needs SMTPUTF8 bounces 5.6.7 without it, RFC 6531 section 3.2); and the DSN parameters passed on
// when the server offers DSN (RFC 3461).
//
// Every recipient gets an outcome: 2xx ok, 4xx temporary, 5xx permanent, as the server said. A
// server that cannot be reached, does not greet, times out or drops the connection makes every
// recipient without a final answer temporary (4.4.1 / 4.4.2), so nothing is bounced because the
// server was restarting, and a duplicate delivery later is preferred to a loss.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "smtp/asio.hpp"
#include "smtp/delivery/client_connection.hpp"
#include "smtp/delivery/delivery_outcome.hpp"

namespace mw::smtp::delivery {

enum class ClientProtocol { smtp, lmtp };

// What the client does about STARTTLS on one connection; the SMTP courier decides it from the route.
struct StartTlsPlan {
    bool attempt = false;   // send STARTTLS when the server offers it
    bool required = false;  // without usable TLS the session ends (4.7.5): nothing is sent in clear
    asio::ssl::context* context = nullptr;
    std::string sni;        // the server name asked for; "" for none
    std::string peer;       // "mx.example.com[192.0.2.1]:25", for the texts
    // After the handshake: nullopt when the session may carry the mail, else why not ("Server
    // certificate not trusted"). Never empty when `attempt`.
    std::function<std::optional<std::string>(SSL*)> check;
};

// A smart host's login (a send connector's `auth`).
struct ClientLogin {
    std::string user;
    std::string password;
};

struct ClientOptions {
    ClientProtocol protocol = ClientProtocol::lmtp;
    std::string helo_name = "localhost";                // our host name for EHLO / LHLO
    std::chrono::milliseconds connect_timeout{30'000};
    std::chrono::milliseconds command_timeout{60'000};  // each reply before the data
    std::chrono::milliseconds data_timeout{300'000};    // sending the data, and each final reply
    const StartTlsPlan* starttls = nullptr;             // SMTP: null = never STARTTLS
    const ClientLogin* login = nullptr;                 // SMTP: AUTH after TLS; null = none
};

// A recipient's DSN request as queued, passed on to a server that offers DSN.
struct RecipientDsn {
    std::string notify;  // "SUCCESS,FAILURE", "NEVER"; "" = not given
    std::string orcpt;   // "rfc822;bob@example.com" (xtext), "" = not given
};

struct ClientTransaction {
    std::string sender;                   // without <>; "" = null reverse path
    std::vector<std::string> recipients;  // without <>
    bool body_8bit = false;               // send BODY=8BITMIME when the server offers it
    bool smtputf8 = false;                // send SMTPUTF8 when the server offers it
    std::string_view data;                // the message, CRLF line endings, sent as it is
    std::vector<RecipientDsn> dsn;        // empty, or one per recipient
    std::string dsn_ret;                  // "FULL", "HDRS" or ""
    std::string dsn_envid;                // decoded; "" = none
};

// "LMTP server" / "SMTP server": how the log and the public texts name the peer.
std::string peer_name(ClientProtocol protocol);

// One transaction on a connected connection.
class ClientSession {
public:
    ClientSession(ClientConnection& connection, const ClientOptions& options);

    // One outcome per recipient of `transaction`, in order; ends with QUIT, unless `keep_open`
    // and the transaction ended cleanly (SMTP only): then reusable() says the session may carry
    // the next one, after reset().
    asio::awaitable<std::vector<DeliveryOutcome>> deliver(const ClientTransaction& transaction, bool keep_open = false);
    bool reusable() const { return reusable_; }
    // RSET on a kept session, to know it still stands before the next transaction (Postfix does
    // the same with a cached session). False: the session is unusable, and closed.
    asio::awaitable<bool> reset();
    // QUIT on a kept session that is not used again.
    asio::awaitable<void> close();

    // The outcomes of a server we could not talk to (4.4.1) or lost (4.4.2).
    DeliveryOutcome unavailable(std::string detail) const;
    DeliveryOutcome lost(std::string detail) const;

    // After deliver(), for the courier: whether MAIL was sent (before that, a failure is the
    // server's, and the next server may be tried), whether the server offered DSN (then it reports
    // success itself), and whether a STARTTLS handshake failed (an opportunistic route may try the
    // same server again in plaintext).
    bool transaction_started() const { return transaction_started_; }
    bool offered_dsn() const { return extensions_.dsn; }
    bool tls_handshake_failed() const { return tls_handshake_failed_; }

private:
    struct Extensions {
        bool pipelining = false;
        bool eight_bit = false;
        bool smtputf8 = false;
        bool starttls = false;
        bool dsn = false;
        std::uint64_t size = 0;     // SIZE n; 0 = no limit announced
        bool auth_plain = false;
        bool auth_login = false;
    };
    using Time = ClientConnection::Clock::time_point;

    // nullopt when the session may go on; otherwise the outcome of every recipient without one
    // (QUIT was sent where the connection still stands).
    asio::awaitable<std::optional<DeliveryOutcome>> open();
    asio::awaitable<std::optional<DeliveryOutcome>> hello(bool again);
    asio::awaitable<std::optional<DeliveryOutcome>> start_tls();
    asio::awaitable<std::optional<DeliveryOutcome>> authenticate();
    DeliveryOutcome tls_failure(std::string why) const;  // 4.7.5, the session is not used
    asio::awaitable<std::optional<DeliveryOutcome>> envelope(const ClientTransaction& transaction,
                                                             std::vector<std::optional<DeliveryOutcome>>& results,
                                                             std::vector<std::size_t>& accepted);
    asio::awaitable<Result<ServerReply>> command(const std::string& line);  // send, then read its reply
    asio::awaitable<Result<ServerReply>> reply_to(const std::string& line);  // pipelined: sent already
    asio::awaitable<Result<std::monostate>> send_data(std::string_view data);
    asio::awaitable<void> quit();
    DeliveryOutcome outcome_of(const SmtpReply& reply) const;
    Time after(std::chrono::milliseconds d) const { return ClientConnection::Clock::now() + d; }

    ClientConnection& connection_;
    ClientOptions options_;
    Extensions extensions_;
    bool transaction_started_ = false;
    bool tls_handshake_failed_ = false;
    bool opened_ = false;    // greeting, EHLO, STARTTLS and AUTH are done
    bool reusable_ = false;  // kept open after a clean transaction
};

// Connects to `address` ("unix:/path", "inet:host:port") on the calling coroutine's executor and
// runs one session. An address that cannot be parsed is a configuration error (4.3.5, temporary:
// the admin fixes it and the queue retries).
asio::awaitable<std::vector<DeliveryOutcome>> deliver_to(std::string address, ClientOptions options,
                                                         ClientTransaction transaction);

}  // namespace mw::smtp::delivery
