#include "smtp/delivery/client_session.hpp"

#include <cctype>

namespace mw::smtp::delivery {

namespace {

constexpr std::size_t data_chunk = 64 * 1024;
constexpr std::chrono::seconds quit_timeout{5};

bool has_non_ascii(std::string_view s) {
    for (unsigned char c : s)
        if (c >= 0x80) return true;
    return false;
}

std::string upper_keyword(std::string_view line) {
    std::string keyword(line.substr(0, line.find(' ')));
    for (auto& c : keyword) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return keyword;
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

// Greeting and EHLO/LHLO failures are the server's state, never the message's: temporary whatever
// the code.
asio::awaitable<std::optional<DeliveryOutcome>> ClientSession::open() {
    auto greeting = co_await connection_.read_reply(after(options_.command_timeout));
    if (!greeting) co_return lost(greeting.error().detail);
    if (greeting->reply.code != 220) co_return unavailable("greeting: " + outcome_of(greeting->reply).reply());

    const bool lmtp = options_.protocol == ClientProtocol::lmtp;
    std::string verb = lmtp ? "LHLO" : "EHLO";
    std::string line = verb + " " + options_.helo_name;
    auto hello = co_await command(line);
    if (!hello) co_return lost(hello.error().detail);
    if (!lmtp && hello->reply.code / 100 == 5) {
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
    for (std::size_t i = 1; i < hello->lines.size(); ++i) {
        std::string keyword = upper_keyword(hello->lines[i]);
        extensions_.pipelining |= keyword == "PIPELINING";
        extensions_.eight_bit |= keyword == "8BITMIME";
        extensions_.smtputf8 |= keyword == "SMTPUTF8";
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
    if (t.body_8bit && extensions_.eight_bit) mail += " BODY=8BITMIME";
    if (t.smtputf8 && extensions_.smtputf8) mail += " SMTPUTF8";
    std::vector<std::string> rcpts;
    for (const auto& r : t.recipients) rcpts.push_back("RCPT TO:<" + r + ">");

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

// RFC 5321 section 4.5.2: a line starting with "." gets another; the end is CRLF "." CRLF.
asio::awaitable<Result<std::monostate>> ClientSession::send_data(std::string_view data, Time deadline) {
    std::string chunk;
    chunk.reserve(data_chunk + 1024);
    bool line_start = true;
    for (char c : data) {
        if (line_start && c == '.') chunk += '.';
        chunk += c;
        line_start = c == '\n';
        if (chunk.size() >= data_chunk) {
            if (auto sent = co_await connection_.write(chunk, deadline); !sent) co_return sent.error();
            chunk.clear();
        }
    }
    if (!data.empty() && !data.ends_with("\r\n")) chunk += "\r\n";
    chunk += ".\r\n";
    co_return co_await connection_.write(chunk, deadline);
}

asio::awaitable<std::vector<DeliveryOutcome>> ClientSession::deliver(const ClientTransaction& t) {
    const std::size_t n = t.recipients.size();
    std::vector<std::optional<DeliveryOutcome>> results(n);
    auto finish = [&](const DeliveryOutcome& rest) {
        std::vector<DeliveryOutcome> out;
        out.reserve(n);
        for (auto& r : results) out.push_back(r ? std::move(*r) : rest);
        return out;
    };

    if (auto failed = co_await open()) co_return finish(*failed);

    bool needs_utf8 = t.smtputf8 && has_non_ascii(t.sender);
    for (const auto& r : t.recipients) needs_utf8 |= t.smtputf8 && has_non_ascii(r);
    if (needs_utf8 && !extensions_.smtputf8) {
        // RFC 6531 section 3.2: without the extension the address cannot be transmitted.
        co_await quit();
        co_return finish(DeliveryOutcome::permanent(
            "5.6.7", "SMTPUTF8 is required but not supported by the " + peer_name(options_.protocol)));
    }

    std::vector<std::size_t> accepted;
    if (auto decided = co_await envelope(t, results, accepted)) co_return finish(*decided);

    const std::string data_command = "DATA";
    auto data = co_await command(data_command);
    if (!data) co_return finish(lost(data.error().detail));
    if (data->reply.code != 354) {
        co_await quit();
        co_return finish(outcome_of(data->reply));
    }
    if (auto sent = co_await send_data(t.data, after(options_.data_timeout)); !sent)
        co_return finish(lost(sent.error().detail));
    // LMTP: one reply per recipient that RCPT accepted, in RCPT order; SMTP: one for all of them.
    // If the connection breaks in between, the ones without a reply stay temporary.
    const std::size_t replies = options_.protocol == ClientProtocol::lmtp ? accepted.size() : 1;
    for (std::size_t k = 0; k < replies; ++k) {
        auto reply = co_await connection_.read_reply(after(options_.data_timeout));
        if (!reply) co_return finish(lost(reply.error().detail));
        if (options_.protocol == ClientProtocol::lmtp) {
            results[accepted[k]] = outcome_of(reply->reply);
        } else {
            for (std::size_t i : accepted) results[i] = outcome_of(reply->reply);
        }
    }
    co_await quit();
    co_return finish(lost("no reply"));
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
