#include "smtp/delivery/client_session.hpp"

#include <cctype>
#include <charconv>

#include "core/xtext.hpp"
#include "smtp/server/sasl.hpp"

namespace mw::smtp::delivery {

namespace {

constexpr std::size_t data_chunk = 64 * 1024;
constexpr std::chrono::seconds quit_timeout{5};

bool has_non_ascii(std::string_view s) {
    for (unsigned char c : s)
        if (c >= 0x80) return true;
    return false;
}

std::string upper(std::string_view text) {
    std::string out(text);
    for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

std::string upper_keyword(std::string_view line) { return upper(line.substr(0, line.find(' '))); }

std::vector<std::string> words_upper(std::string_view text) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < text.size();) {
        while (i < text.size() && text[i] == ' ') ++i;
        std::size_t end = text.find(' ', i);
        if (end == std::string_view::npos) end = text.size();
        if (end > i) out.push_back(upper(text.substr(i, end - i)));
        i = end;
    }
    return out;
}

}  // namespace

std::string peer_name(ClientProtocol protocol) {
    return protocol == ClientProtocol::lmtp ? "LMTP server" : "SMTP server";
}

ClientSession::ClientSession(ClientConnection& connection, const ClientOptions& options)
    : connection_(connection), options_(options) {}

// Infrastructure failures are never the recipient's fault: temporary, so the queue retries.
DeliveryOutcome ClientSession::unavailable(std::string detail) const {
    return DeliveryOutcome::temporary("4.4.1", peer_name(options_.protocol) + " unavailable", std::move(detail));
}

DeliveryOutcome ClientSession::lost(std::string detail) const {
    return DeliveryOutcome::temporary("4.4.2", "lost connection with " + peer_name(options_.protocol),
                                      std::move(detail));
}

// A server reply as a recipient's outcome; the class decides (RFC 5321 section 4.2.1).
DeliveryOutcome ClientSession::outcome_of(const SmtpReply& reply) const {
    DeliveryOutcome out;
    out.smtp_reply = reply;
    const int cls = reply.code / 100;
    out.kind = cls == 2 ? DeliveryOutcome::Kind::ok
             : cls == 5 ? DeliveryOutcome::Kind::permanent
                        : DeliveryOutcome::Kind::temporary;  // 4xx, and anything unexpected
    if (cls != 2 && cls != 4 && cls != 5) {
        out.smtp_reply = {451, "4.5.0",
                          "unexpected reply from " + peer_name(options_.protocol) + ": " + reply.str()};
    }
    if (out.smtp_reply.status.empty()) out.smtp_reply.status = std::to_string(out.smtp_reply.code / 100) + ".0.0";
    return out;
}

asio::awaitable<Result<ServerReply>> ClientSession::command(const std::string& line) {
    const std::string wire = line + "\r\n";
    auto sent = co_await connection_.write(wire, after(options_.command_timeout));
    if (!sent) co_return sent.error();
    co_return co_await connection_.read_reply(after(options_.command_timeout));
}

asio::awaitable<void> ClientSession::quit() {
    // Politeness only: the outcomes are decided already, so a failure here changes nothing.
    auto deadline = ClientConnection::Clock::now() + quit_timeout;
    auto sent = co_await connection_.write("QUIT\r\n", deadline);
    if (!sent) co_return;
    [[maybe_unused]] auto reply = co_await connection_.read_reply(deadline);
}

DeliveryOutcome ClientSession::tls_failure(std::string why) const {
    return DeliveryOutcome::temporary("4.7.5", std::move(why));
}

// Greeting and EHLO/LHLO failures are the server's state, never the message's: temporary whatever
// the code.
asio::awaitable<std::optional<DeliveryOutcome>> ClientSession::open() {
    auto greeting = co_await connection_.read_reply(after(options_.command_timeout));
    if (!greeting) co_return lost(greeting.error().detail);
    if (greeting->reply.code != 220) co_return unavailable("greeting: " + outcome_of(greeting->reply).reply());
    if (auto failed = co_await hello(false)) co_return failed;

    const StartTlsPlan* tls = options_.starttls;
    if (tls && tls->attempt && extensions_.starttls) {
        if (auto failed = co_await start_tls()) co_return failed;
    } else if (tls && tls->required) {
        co_await quit();
        co_return tls_failure("TLS is required, but was not offered by host " + tls->peer);
    }
    if (options_.login) {
        if (auto failed = co_await authenticate()) co_return failed;
    }
    co_return std::nullopt;
}

// EHLO (HELO when the server does not know it) or LHLO, and the extensions of the reply. `again`:
// after STARTTLS, where what the server offered before counts for nothing (RFC 3207 section 4.2).
asio::awaitable<std::optional<DeliveryOutcome>> ClientSession::hello(bool again) {
    const bool lmtp = options_.protocol == ClientProtocol::lmtp;
    std::string verb = lmtp ? "LHLO" : "EHLO";
    std::string line = verb + " " + options_.helo_name;
    auto hello = co_await command(line);
    if (!hello) co_return lost(hello.error().detail);
    if (!lmtp && !again && hello->reply.code / 100 == 5) {
        // RFC 5321 section 3.2: a server that does not know EHLO still knows HELO (no extensions).
        verb = "HELO";
        line = verb + " " + options_.helo_name;
        hello = co_await command(line);
        if (!hello) co_return lost(hello.error().detail);
        hello->lines.resize(1);
    }
    if (hello->reply.code / 100 != 2) {
        co_await quit();
        co_return unavailable(verb + ": " + outcome_of(hello->reply).reply());
    }
    extensions_ = {};
    for (std::size_t i = 1; i < hello->lines.size(); ++i) {
        const std::string& text = hello->lines[i];
        std::string keyword = upper_keyword(text);
        extensions_.pipelining |= keyword == "PIPELINING";
        extensions_.eight_bit |= keyword == "8BITMIME";
        extensions_.smtputf8 |= keyword == "SMTPUTF8";
        extensions_.starttls |= keyword == "STARTTLS";
        extensions_.dsn |= keyword == "DSN";
        if (keyword == "SIZE" && text.size() > 5) {
            std::uint64_t n = 0;
            auto [end, ec] = std::from_chars(text.data() + 5, text.data() + text.size(), n);
            if (ec == std::errc() && end == text.data() + text.size()) extensions_.size = n;
        }
        if (keyword == "AUTH") {
            for (const auto& mechanism : words_upper(std::string_view(text).substr(4))) {
                extensions_.auth_plain |= mechanism == "PLAIN";
                extensions_.auth_login |= mechanism == "LOGIN";
            }
        }
    }
    co_return std::nullopt;
}

// STARTTLS, the handshake, the plan's verdict on the session, then EHLO again. A server that
// refuses STARTTLS or fails the handshake ends the session when TLS is required; at the
// opportunistic level a refusal goes on in plaintext, and a failed handshake (the connection is
// gone) is reported through tls_handshake_failed() so the courier may reconnect without TLS.
asio::awaitable<std::optional<DeliveryOutcome>> ClientSession::start_tls() {
    const StartTlsPlan& tls = *options_.starttls;
    const std::string starttls = "STARTTLS";  // named: GCC 12 mishandles temporaries in co_await expressions
    auto reply = co_await command(starttls);
    if (!reply) co_return lost(reply.error().detail);
    if (reply->reply.code != 220) {
        if (!tls.required) co_return std::nullopt;
        co_await quit();
        co_return tls_failure("TLS is required, but host " + tls.peer + " refused to start TLS: " +
                              outcome_of(reply->reply).reply());
    }
    if (connection_.has_unread_bytes()) {
        // Bytes after the 220 would be read as if they came over TLS (RFC 3207 section 4).
        connection_.close();
        co_return lost("unexpected data after the reply to STARTTLS from " + tls.peer);
    }
    auto shaken = co_await connection_.start_tls(*tls.context, tls.sni, after(options_.command_timeout));
    if (!shaken) {
        tls_handshake_failed_ = true;
        connection_.close();
        co_return tls_failure("Cannot start TLS: " + shaken.error().detail);
    }
    if (auto refused = tls.check(connection_.ssl())) {
        co_await quit();
        co_return tls_failure(*refused);
    }
    co_return co_await hello(true);
}

// AUTH PLAIN, else LOGIN (RFC 4954), and only over TLS: a smart host's password never crosses
// the network in clear. A server that offers neither is used without logging in (it decides
// whether to relay); one that refuses the login is not used (temporary: the password may be
// fixed, or the server may be wrong for now).
asio::awaitable<std::optional<DeliveryOutcome>> ClientSession::authenticate() {
    const ClientLogin& login = *options_.login;
    const std::string peer = options_.starttls ? options_.starttls->peer : peer_name(options_.protocol);
    if (!connection_.ssl()) {
        co_await quit();
        co_return tls_failure("TLS is required for AUTH to host " + peer + ", and is not active");
    }
    if (!extensions_.auth_plain && !extensions_.auth_login) co_return std::nullopt;
    Result<ServerReply> reply = Error{};
    if (extensions_.auth_plain) {
        const std::string credentials = std::string(1, '\0') + login.user + std::string(1, '\0') + login.password;
        const std::string line = "AUTH PLAIN " + server::base64_encode(credentials);
        reply = co_await command(line);
    } else {
        const std::string line = "AUTH LOGIN";
        reply = co_await command(line);
        for (const std::string* step : {&login.user, &login.password}) {
            if (!reply || reply->reply.code != 334) break;
            const std::string answer = server::base64_encode(*step);
            reply = co_await command(answer);
        }
        if (reply && reply->reply.code == 334) {
            // The server wants more than a user and a password: end the exchange (RFC 4954 section 4).
            const std::string cancel = "*";
            reply = co_await command(cancel);
        }
    }
    if (!reply) co_return lost(reply.error().detail);
    if (reply->reply.code != 235) {
        co_await quit();
        DeliveryOutcome refused = unavailable("SASL authentication failed; server " + peer + " said: " +
                                              outcome_of(reply->reply).reply());
        refused.smtp_reply = {451, "4.7.0", "SASL authentication failed with host " + peer};
        co_return refused;
    }
    co_return std::nullopt;
}

// MAIL and the RCPTs. With PIPELINING they go out in one write and their replies are read in order
// (RFC 2920 section 3.1); without it, one command per round trip. A refused MAIL decides for
// everyone. nullopt: at least one recipient was accepted, DATA may follow.
asio::awaitable<std::optional<DeliveryOutcome>> ClientSession::envelope(
    const ClientTransaction& t, std::vector<std::optional<DeliveryOutcome>>& results,
    std::vector<std::size_t>& accepted) {
    std::string mail = "MAIL FROM:<" + t.sender + ">";
    if (extensions_.size > 0) mail += " SIZE=" + std::to_string(t.data.size());
    if (t.body_8bit && extensions_.eight_bit) mail += " BODY=8BITMIME";
    if (t.smtputf8 && extensions_.smtputf8) mail += " SMTPUTF8";
    if (extensions_.dsn && !t.dsn_ret.empty()) mail += " RET=" + t.dsn_ret;
    if (extensions_.dsn && !t.dsn_envid.empty()) mail += " ENVID=" + xtext::encode(t.dsn_envid);
    std::vector<std::string> rcpts;
    for (std::size_t i = 0; i < t.recipients.size(); ++i) {
        std::string rcpt = "RCPT TO:<" + t.recipients[i] + ">";
        if (extensions_.dsn && i < t.dsn.size()) {
            if (!t.dsn[i].notify.empty()) rcpt += " NOTIFY=" + t.dsn[i].notify;
            if (!t.dsn[i].orcpt.empty()) rcpt += " ORCPT=" + t.dsn[i].orcpt;
        }
        rcpts.push_back(std::move(rcpt));
    }
    transaction_started_ = true;

    if (extensions_.pipelining) {
        std::string batch = mail + "\r\n";
        for (const auto& r : rcpts) batch += r + "\r\n";
        if (auto sent = co_await connection_.write(batch, after(options_.command_timeout)); !sent)
            co_return lost(sent.error().detail);
    }

    auto mail_reply = co_await reply_to(mail);
    if (!mail_reply) co_return lost(mail_reply.error().detail);
    const bool mail_ok = mail_reply->reply.code / 100 == 2;
    for (std::size_t i = 0; i < rcpts.size() && (mail_ok || extensions_.pipelining); ++i) {
        // Pipelined RCPTs after a refused MAIL are answered too (503): read, so QUIT stays in step.
        auto rcpt = co_await reply_to(rcpts[i]);
        if (!rcpt) co_return lost(rcpt.error().detail);
        if (!mail_ok) continue;
        if (rcpt->reply.code / 100 == 2)
            accepted.push_back(i);
        else
            results[i] = outcome_of(rcpt->reply);
    }
    if (!mail_ok) {
        co_await quit();
        co_return outcome_of(mail_reply->reply);
    }
    if (accepted.empty()) {
        co_await quit();
        co_return lost("no recipient accepted");  // every slot is filled already
    }
    co_return std::nullopt;
}

asio::awaitable<Result<ServerReply>> ClientSession::reply_to(const std::string& line) {
    if (extensions_.pipelining) co_return co_await connection_.read_reply(after(options_.command_timeout));
    co_return co_await command(line);
}

// RFC 5321 section 4.5.2: a line starting with "." gets another; the end is CRLF "." CRLF. Each
// chunk has the data timeout of its own: a large message on a slow link is slow, not stuck.
asio::awaitable<Result<std::monostate>> ClientSession::send_data(std::string_view data) {
    std::string chunk;
    chunk.reserve(data_chunk + 1024);
    bool line_start = true;
    for (char c : data) {
        if (line_start && c == '.') chunk += '.';
        chunk += c;
        line_start = c == '\n';
        if (chunk.size() >= data_chunk) {
            if (auto sent = co_await connection_.write(chunk, after(options_.data_timeout)); !sent)
                co_return sent.error();
            chunk.clear();
        }
    }
    if (!data.empty() && !data.ends_with("\r\n")) chunk += "\r\n";
    chunk += ".\r\n";
    co_return co_await connection_.write(chunk, after(options_.data_timeout));
}

asio::awaitable<std::vector<DeliveryOutcome>> ClientSession::deliver(const ClientTransaction& t, bool keep_open) {
    const std::size_t n = t.recipients.size();
    std::vector<std::optional<DeliveryOutcome>> results(n);
    auto finish = [&](const DeliveryOutcome& rest) {
        std::vector<DeliveryOutcome> out;
        out.reserve(n);
        for (auto& r : results) out.push_back(r ? std::move(*r) : rest);
        return out;
    };

    reusable_ = false;
    if (!opened_) {
        if (auto failed = co_await open()) co_return finish(*failed);
        opened_ = true;
    }

    // What needs SMTPUTF8: a UTF-8 address, or UTF-8 in the header (RFC 6532); a UTF-8 body alone
    // travels as 8BITMIME.
    const std::string_view header = t.data.substr(0, t.data.find("\r\n\r\n"));
    bool needs_utf8 = t.smtputf8 && (has_non_ascii(t.sender) || has_non_ascii(header));
    for (const auto& r : t.recipients) needs_utf8 |= t.smtputf8 && has_non_ascii(r);
    if (needs_utf8 && !extensions_.smtputf8) {
        // RFC 6531 section 3.2: without the extension the address cannot be transmitted.
        co_await quit();
        co_return finish(DeliveryOutcome::permanent(
            "5.6.7", "SMTPUTF8 is required but not supported by the " + peer_name(options_.protocol)));
    }

    if (extensions_.size > 0 && t.data.size() > extensions_.size) {
        // RFC 1870 section 6.1: the server would refuse it whatever we did; no other server of
        // this destination is likelier to take it.
        co_await quit();
        const std::string peer = options_.starttls ? options_.starttls->peer : peer_name(options_.protocol);
        co_return finish(DeliveryOutcome::permanent(
            "5.3.4", "message size " + std::to_string(t.data.size()) + " exceeds size limit " +
                         std::to_string(extensions_.size) + " of server " + peer));
    }

    std::vector<std::size_t> accepted;
    if (auto decided = co_await envelope(t, results, accepted)) co_return finish(*decided);

    const std::string data_command = "DATA";
    auto data = co_await command(data_command);
    if (!data) co_return finish(lost(data.error().detail));
    if (data->reply.code != 354) {
        co_await quit();
        // A 2xx here would mean "delivered" for a message never sent: a server out of step.
        if (data->reply.code / 100 == 2)
            co_return finish(DeliveryOutcome::temporary(
                "4.5.0", "protocol error: the " + peer_name(options_.protocol) + " answered DATA with " +
                             outcome_of(data->reply).reply()));
        co_return finish(outcome_of(data->reply));
    }
    if (auto sent = co_await send_data(t.data); !sent)
        co_return finish(lost(sent.error().detail));
    // LMTP: one reply per recipient that RCPT accepted, in RCPT order; SMTP: one for all of them.
    // If the connection breaks in between, the ones without a reply stay temporary.
    const std::size_t replies = options_.protocol == ClientProtocol::lmtp ? accepted.size() : 1;
    bool closing = false;  // 421: the server ends the session
    for (std::size_t k = 0; k < replies; ++k) {
        auto reply = co_await connection_.read_reply(after(options_.data_timeout));
        if (!reply) co_return finish(lost(reply.error().detail));
        closing |= reply->reply.code == 421;
        if (options_.protocol == ClientProtocol::lmtp) {
            results[accepted[k]] = outcome_of(reply->reply);
        } else {
            for (std::size_t i : accepted) results[i] = outcome_of(reply->reply);
        }
    }
    // Kept only in step: nothing unread after the final reply (else every later reply would be
    // read one command late), and a server that did not say it is closing.
    if (keep_open && options_.protocol == ClientProtocol::smtp && !closing && !connection_.has_unread_bytes())
        reusable_ = true;
    else
        co_await quit();
    co_return finish(lost("no reply"));
}

asio::awaitable<bool> ClientSession::reset() {
    reusable_ = false;
    transaction_started_ = false;
    const std::string rset = "RSET";  // named: GCC 12 mishandles temporaries in co_await expressions
    auto reply = co_await command(rset);
    if (reply && reply->reply.code == 250 && !connection_.has_unread_bytes()) co_return true;
    connection_.close();
    co_return false;
}

asio::awaitable<void> ClientSession::close() {
    reusable_ = false;
    co_await quit();
    connection_.close();
}

asio::awaitable<std::vector<DeliveryOutcome>> deliver_to(std::string address, ClientOptions options,
                                                         ClientTransaction transaction) {
    auto executor = co_await asio::this_coro::executor;
    ClientConnection connection(executor, peer_name(options.protocol));
    ClientSession session(connection, options);
    auto endpoint = parse_client_endpoint(address, options.protocol == ClientProtocol::lmtp ? "LMTP" : "SMTP");
    if (!endpoint) {
        co_return std::vector<DeliveryOutcome>(
            transaction.recipients.size(),
            DeliveryOutcome::temporary("4.3.5", "mail system configuration error", endpoint.error().detail));
    }
    const auto deadline = ClientConnection::Clock::now() + options.connect_timeout;
    auto connected = co_await connection.connect(*endpoint, deadline);
    if (!connected) {
        co_return std::vector<DeliveryOutcome>(transaction.recipients.size(),
                                               session.unavailable(connected.error().detail));
    }
    co_return co_await session.deliver(transaction);
}

}  // namespace mw::smtp::delivery
