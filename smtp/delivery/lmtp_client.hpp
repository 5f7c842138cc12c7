// The LMTP client (RFC 2033) for `[delivery] lmtp`: one transaction delivers a message to several
// local recipients, and the server answers the final dot once per accepted recipient, so every
// recipient gets its own outcome (a full mailbox defers one user, not the whole message). The
// protocol is client_session.hpp's, with LMTP chosen; every step is asynchronous on Boost.Asio
// with a timeout.
//
// The LMTP server (Dovecot) adds Return-Path and Delivered-To itself; the message is sent as it
// is in the queue (CRLF), dot-stuffed (RFC 5321 section 4.5.2).
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "smtp/asio.hpp"
#include "smtp/delivery/delivery_outcome.hpp"

namespace mw::smtp::delivery {

struct LmtpOptions {
    std::string address;                                   // "unix:/path", "inet:host:port", "inet:[::1]:24"
    std::string lhlo_name = "localhost";                   // our host name for LHLO
    std::chrono::milliseconds connect_timeout{30'000};
    std::chrono::milliseconds command_timeout{60'000};     // each reply before the data
    std::chrono::milliseconds data_timeout{300'000};       // sending the data and each final reply
};

struct LmtpMessage {
    std::string sender;                    // without <>; "" = null reverse path
    std::vector<std::string> recipients;   // without <>
    bool body_8bit = false;                // send BODY=8BITMIME when the server offers it
    bool smtputf8 = false;                 // send SMTPUTF8 when the server offers it
    std::string_view data;                 // the message, CRLF line endings
};

class LmtpClient {
public:
    explicit LmtpClient(LmtpOptions options);

    // One outcome per recipient, in order. 2xx ok, 4xx temporary, 5xx permanent, as the server
    // said; a failure to connect, a timeout or a lost connection makes every recipient without
    // a final answer temporary (4.4.1 / 4.4.2), so nothing is lost or bounced because the local
    // mail store was restarting.
    //
    // async_deliver runs on the calling coroutine's executor; `message` (and the data it views)
    // must live until it completes. deliver() runs it on an io_context of its own, in the calling
    // thread (the delivery agent's worker), and returns when the session is over.
    asio::awaitable<std::vector<DeliveryOutcome>> async_deliver(const LmtpMessage& message) const;
    std::vector<DeliveryOutcome> deliver(const LmtpMessage& message) const;

    // "lmtp[/run/dovecot/lmtp]" for log lines.
    std::string relay_name() const;

private:
    LmtpOptions options_;
};

}  // namespace mw::smtp::delivery
