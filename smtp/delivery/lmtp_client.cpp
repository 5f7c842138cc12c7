#include "smtp/delivery/lmtp_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <optional>

#include "core/unique_fd.hpp"

namespace mw::smtp::delivery {

namespace {

using mw::UniqueFd;
using Clock = std::chrono::steady_clock;

constexpr std::size_t max_reply_bytes = 64 * 1024;  // a reply larger than this is not LMTP
constexpr std::size_t data_chunk = 64 * 1024;

// Infrastructure failures are never the recipient's fault: temporary, so the queue retries.
DeliveryOutcome no_answer(std::string detail) {
    return DeliveryOutcome::temporary("4.4.1", "LMTP server unavailable", std::move(detail));
}
DeliveryOutcome lost(std::string detail) {
    return DeliveryOutcome::temporary("4.4.2", "lost connection with LMTP server", std::move(detail));
}

struct Reply {
    int code = 0;
    std::vector<std::string> lines;  // text after "NNN-" / "NNN "
};

bool is_status(std::string_view s) {
    // RFC 3463: class "." subject "." detail, digits.
    int dots = 0;
    bool digit = false;
    for (char c : s) {
        if (c >= '0' && c <= '9') {
            digit = true;
        } else if (c == '.' && digit) {
            ++dots;
            digit = false;
        } else {
            return false;
        }
    }
    return dots == 2 && digit && (s[0] == '2' || s[0] == '4' || s[0] == '5');
}

// A server reply as a recipient's outcome; the class decides (RFC 5321 section 4.2.1).
DeliveryOutcome outcome_of(const Reply& reply) {
    DeliveryOutcome out;
    std::string_view text = reply.lines.empty() ? std::string_view() : std::string_view(reply.lines.front());
    auto space = text.find(' ');
    if (std::string_view first = text.substr(0, space); is_status(first)) {
        out.status = std::string(first);
        text = space == std::string_view::npos ? std::string_view() : text.substr(space + 1);
    }
    out.text = std::string(text);
    out.code = reply.code;
    const int cls = reply.code / 100;
    out.kind = cls == 2 ? DeliveryOutcome::Kind::ok
             : cls == 5 ? DeliveryOutcome::Kind::permanent
                        : DeliveryOutcome::Kind::temporary;  // 4xx, and anything unexpected
    if (cls != 2 && cls != 4 && cls != 5) {
        out.code = 451;
        out.status = "4.5.0";
        out.text = "unexpected reply from LMTP server: " + std::to_string(reply.code) + " " + out.text;
    }
    if (out.status.empty()) out.status = std::to_string(out.code / 100) + ".0.0";
    return out;
}

int remaining_ms(Clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    return left <= 0 ? 0 : static_cast<int>(std::min<long long>(left, 1'000'000));
}

// poll() for one event until the deadline; false on timeout or error (errno tells which).
bool wait_for(int fd, short events, Clock::time_point deadline) {
    for (;;) {
        struct pollfd p {fd, events, 0};
        int n = ::poll(&p, 1, remaining_ms(deadline));
        if (n > 0) return true;
        if (n == 0) {
            errno = ETIMEDOUT;
            return false;
        }
        if (errno != EINTR) return false;
    }
}

std::string errno_text(int err) {
    char buf[256];
    return ::strerror_r(err, buf, sizeof buf);
}

// One connection: non-blocking socket, every read and write bounded by a deadline.
class Session {
public:
    explicit Session(UniqueFd fd) : fd_(std::move(fd)) {}

    bool send(std::string_view data, Clock::time_point deadline) {
        while (!data.empty()) {
            ssize_t n = ::send(fd_.get(), data.data(), data.size(), MSG_NOSIGNAL);
            if (n > 0) {
                data.remove_prefix(static_cast<std::size_t>(n));
                continue;
            }
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                if (!wait_for(fd_.get(), POLLOUT, deadline)) return fail("send", errno);
                continue;
            }
            return fail("send", errno);
        }
        return true;
    }

    // A complete (possibly multi-line) reply, or nullopt with error() set.
    std::optional<Reply> read_reply(Clock::time_point deadline) {
        Reply reply;
        std::size_t bytes = 0;
        for (;;) {
            auto line = read_line(deadline);
            if (!line) return std::nullopt;
            bytes += line->size();
            if (line->size() < 3 || bytes > max_reply_bytes || !std::isdigit(static_cast<unsigned char>((*line)[0])) ||
                !std::isdigit(static_cast<unsigned char>((*line)[1])) ||
                !std::isdigit(static_cast<unsigned char>((*line)[2])) ||
                (line->size() > 3 && (*line)[3] != '-' && (*line)[3] != ' ')) {
                error_ = "malformed reply: " + line->substr(0, 200);
                return std::nullopt;
            }
            int code = std::stoi(line->substr(0, 3));
            if (reply.code != 0 && code != reply.code) {
                error_ = "inconsistent multi-line reply";
                return std::nullopt;
            }
            reply.code = code;
            reply.lines.push_back(line->size() > 4 ? line->substr(4) : std::string());
            if (line->size() == 3 || (*line)[3] == ' ') return reply;
        }
    }

    const std::string& error() const { return error_; }

private:
    bool fail(const char* what, int err) {
        error_ = std::string(what) + ": " + errno_text(err);
        return false;
    }

    std::optional<std::string> read_line(Clock::time_point deadline) {
        for (;;) {
            if (auto lf = buffer_.find('\n'); lf != std::string::npos) {
                std::string line = buffer_.substr(0, lf);
                buffer_.erase(0, lf + 1);
                if (!line.empty() && line.back() == '\r') line.pop_back();
                return line;
            }
            if (buffer_.size() > max_reply_bytes) {
                error_ = "reply line too long";
                return std::nullopt;
            }
            char chunk[4096];
            ssize_t n = ::recv(fd_.get(), chunk, sizeof chunk, 0);
            if (n > 0) {
                buffer_.append(chunk, static_cast<std::size_t>(n));
            } else if (n == 0) {
                error_ = "connection closed by LMTP server";
                return std::nullopt;
            } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
                if (!wait_for(fd_.get(), POLLIN, deadline)) {
                    fail("read", errno);
                    return std::nullopt;
                }
            } else if (errno != EINTR) {
                fail("read", errno);
                return std::nullopt;
            }
        }
    }

    UniqueFd fd_;
    std::string buffer_;
    std::string error_;
};

// "unix:/path" or "inet:host:port" (IPv4 or IPv6 literal, the latter optionally in brackets).
struct Endpoint {
    sockaddr_storage addr{};
    socklen_t len = 0;
};

std::optional<Endpoint> parse_endpoint(std::string_view address, std::string& error) {
    Endpoint ep;
    if (address.starts_with("unix:")) {
        std::string_view path = address.substr(5);
        auto* un = reinterpret_cast<sockaddr_un*>(&ep.addr);
        if (path.empty() || path.size() >= sizeof un->sun_path) {
            error = "bad unix socket path";
            return std::nullopt;
        }
        un->sun_family = AF_UNIX;
        std::memcpy(un->sun_path, path.data(), path.size());
        ep.len = static_cast<socklen_t>(sizeof(sockaddr_un));
        return ep;
    }
    if (!address.starts_with("inet:")) {
        error = "LMTP address must start with unix: or inet:";
        return std::nullopt;
    }
    std::string_view rest = address.substr(5);
    auto colon = rest.rfind(':');
    if (colon == std::string_view::npos) {
        error = "LMTP address has no port";
        return std::nullopt;
    }
    std::string host(rest.substr(0, colon));
    std::string port_text(rest.substr(colon + 1));
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    int port = 0;
    for (char c : port_text) {
        if (c < '0' || c > '9' || port > 65535) {
            port = -1;
            break;
        }
        port = port * 10 + (c - '0');
    }
    if (port <= 0 || port > 65535) {
        error = "bad LMTP port";
        return std::nullopt;
    }
    auto* in4 = reinterpret_cast<sockaddr_in*>(&ep.addr);
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&ep.addr);
    if (::inet_pton(AF_INET, host.c_str(), &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons(static_cast<std::uint16_t>(port));
        ep.len = sizeof(sockaddr_in);
    } else if (::inet_pton(AF_INET6, host.c_str(), &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(static_cast<std::uint16_t>(port));
        ep.len = sizeof(sockaddr_in6);
    } else {
        error = "LMTP host must be an IPv4 or IPv6 address";
        return std::nullopt;
    }
    return ep;
}

UniqueFd connect_to(const Endpoint& ep, Clock::time_point deadline, std::string& error) {
    UniqueFd fd(::socket(ep.addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!fd) {
        error = "socket: " + errno_text(errno);
        return fd;
    }
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&ep.addr), ep.len) != 0) {
        if (errno != EINPROGRESS && errno != EINTR) {
            error = "connect: " + errno_text(errno);
            return UniqueFd();
        }
        if (!wait_for(fd.get(), POLLOUT, deadline)) {
            error = "connect: " + errno_text(errno);
            return UniqueFd();
        }
        int so_error = 0;
        socklen_t len = sizeof so_error;
        if (::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &so_error, &len) != 0 || so_error != 0) {
            error = "connect: " + errno_text(so_error ? so_error : errno);
            return UniqueFd();
        }
    }
    return fd;
}

bool has_non_ascii(std::string_view s) {
    for (unsigned char c : s)
        if (c >= 0x80) return true;
    return false;
}

// RFC 5321 section 4.5.2: a line starting with "." gets another; the end is CRLF "." CRLF.
bool send_data(Session& session, std::string_view data, Clock::time_point deadline) {
    std::string chunk;
    chunk.reserve(data_chunk + 1024);
    bool line_start = true;
    for (char c : data) {
        if (line_start && c == '.') chunk += '.';
        chunk += c;
        line_start = c == '\n';
        if (chunk.size() >= data_chunk) {
            if (!session.send(chunk, deadline)) return false;
            chunk.clear();
        }
    }
    if (!data.empty() && !data.ends_with("\r\n")) chunk += "\r\n";
    chunk += ".\r\n";
    return session.send(chunk, deadline);
}

}  // namespace

LmtpClient::LmtpClient(LmtpOptions options) : options_(std::move(options)) {}

std::string LmtpClient::relay_name() const {
    std::string_view a = options_.address;
    if (auto colon = a.find(':'); colon != std::string_view::npos) a = a.substr(colon + 1);
    return "lmtp[" + std::string(a) + "]";
}

std::vector<DeliveryOutcome> LmtpClient::deliver(const LmtpMessage& message) const {
    const std::size_t n = message.recipients.size();
    std::vector<std::optional<DeliveryOutcome>> results(n);
    auto finish = [&](const DeliveryOutcome& rest) {
        std::vector<DeliveryOutcome> out;
        out.reserve(n);
        for (auto& r : results) out.push_back(r ? std::move(*r) : rest);
        return out;
    };
    auto after = [](std::chrono::milliseconds d) { return Clock::now() + d; };

    std::string error;
    auto endpoint = parse_endpoint(options_.address, error);
    if (!endpoint)
        return finish(DeliveryOutcome::temporary("4.3.5", "mail system configuration error", error));
    UniqueFd fd = connect_to(*endpoint, after(options_.connect_timeout), error);
    if (!fd) return finish(no_answer(error));
    Session session(std::move(fd));

    // Every reply before the data: anything but success ends the transaction for all recipients
    // that have no answer yet. Greeting and LHLO failures are the server's state, never the
    // message's: temporary whatever the code.
    auto command = [&](const std::string& line) -> std::optional<Reply> {
        if (!line.empty() && !session.send(line + "\r\n", after(options_.command_timeout))) return std::nullopt;
        return session.read_reply(after(options_.command_timeout));
    };
    auto quit = [&] {
        if (session.send("QUIT\r\n", after(std::chrono::seconds(5)))) session.read_reply(after(std::chrono::seconds(5)));
    };

    auto greeting = command("");
    if (!greeting) return finish(lost(session.error()));
    if (greeting->code != 220) return finish(no_answer("greeting: " + outcome_of(*greeting).reply()));
    auto lhlo = command("LHLO " + options_.lhlo_name);
    if (!lhlo) return finish(lost(session.error()));
    if (lhlo->code / 100 != 2) {
        quit();
        return finish(no_answer("LHLO: " + outcome_of(*lhlo).reply()));
    }
    bool offers_8bit = false, offers_utf8 = false;
    for (std::size_t i = 1; i < lhlo->lines.size(); ++i) {
        std::string keyword = lhlo->lines[i].substr(0, lhlo->lines[i].find(' '));
        for (auto& c : keyword) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        offers_8bit |= keyword == "8BITMIME";
        offers_utf8 |= keyword == "SMTPUTF8";
    }

    bool needs_utf8 = message.smtputf8 && has_non_ascii(message.sender);
    for (const auto& r : message.recipients) needs_utf8 |= message.smtputf8 && has_non_ascii(r);
    if (needs_utf8 && !offers_utf8) {
        // RFC 6531 section 3.2: without the extension the address cannot be transmitted.
        quit();
        return finish(DeliveryOutcome::permanent("5.6.7", "SMTPUTF8 is required but not supported by the LMTP server"));
    }
    std::string mail = "MAIL FROM:<" + message.sender + ">";
    if (message.body_8bit && offers_8bit) mail += " BODY=8BITMIME";
    if (message.smtputf8 && offers_utf8) mail += " SMTPUTF8";
    auto mail_reply = command(mail);
    if (!mail_reply) return finish(lost(session.error()));
    if (mail_reply->code / 100 != 2) {
        quit();
        return finish(outcome_of(*mail_reply));
    }

    std::vector<std::size_t> accepted;
    for (std::size_t i = 0; i < n; ++i) {
        auto rcpt = command("RCPT TO:<" + message.recipients[i] + ">");
        if (!rcpt) return finish(lost(session.error()));
        if (rcpt->code / 100 == 2)
            accepted.push_back(i);
        else
            results[i] = outcome_of(*rcpt);
    }
    if (accepted.empty()) {
        quit();
        return finish(lost("no recipient accepted"));  // every slot is filled already
    }

    auto data = command("DATA");
    if (!data) return finish(lost(session.error()));
    if (data->code != 354) {
        quit();
        return finish(outcome_of(*data));
    }
    if (!send_data(session, message.data, after(options_.data_timeout))) return finish(lost(session.error()));
    // RFC 2033 section 4.2: one reply per recipient that RCPT accepted, in RCPT order. If the
    // connection breaks in between, the ones without a reply stay temporary (a duplicate delivery
    // later is better than a loss).
    for (std::size_t i : accepted) {
        auto reply = session.read_reply(after(options_.data_timeout));
        if (!reply) return finish(lost(session.error()));
        results[i] = outcome_of(*reply);
    }
    quit();
    return finish(lost("no reply"));
}

}  // namespace mw::smtp::delivery
