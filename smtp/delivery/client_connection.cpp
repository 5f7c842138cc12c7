#include "smtp/delivery/client_connection.hpp"

#include <sys/socket.h>
#include <sys/un.h>

#include <optional>

#include "core/unique_fd.hpp"
#include "smtp/tls_error.hpp"

namespace mw::smtp::delivery {

namespace {

using boost::system::error_code;

constexpr std::size_t max_reply_bytes = 64 * 1024;  // a reply larger than this is not SMTP or LMTP

Error io_error(const char* what, const error_code& ec) {
    return Error{Error::Kind::temporary, what, std::string(what) + ": " + ec.message(), ErrorCode::io};
}
Error config_error(std::string detail) {
    return Error{Error::Kind::config, "delivery address", std::move(detail), ErrorCode::config};
}

}  // namespace

Result<ClientEndpoint> parse_client_endpoint(std::string_view address, std::string_view what) {
    const std::string name(what);
    if (address.starts_with("unix:")) {
        std::string_view path = address.substr(5);
        if (path.empty() || path.size() >= sizeof(sockaddr_un::sun_path)) return config_error("bad unix socket path");
        return ClientEndpoint(asio::local::stream_protocol::endpoint(path));
    }
    if (!address.starts_with("inet:")) return config_error(name + " address must start with unix: or inet:");
    std::string_view rest = address.substr(5);
    auto colon = rest.rfind(':');
    if (colon == std::string_view::npos) return config_error(name + " address has no port");
    std::string_view host = rest.substr(0, colon);
    std::string_view port_text = rest.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    int port = 0;
    for (char c : port_text) {
        if (c < '0' || c > '9' || port > 65535) {
            port = -1;
            break;
        }
        port = port * 10 + (c - '0');
    }
    if (port <= 0 || port > 65535) return config_error("bad " + name + " port");
    error_code ec;
    auto ip = asio::ip::make_address(std::string(host), ec);
    if (ec) return config_error(name + " host must be an IPv4 or IPv6 address");
    return ClientEndpoint(asio::ip::tcp::endpoint(ip, static_cast<unsigned short>(port)));
}

struct ClientConnection::State {
    using Socket = asio::generic::stream_protocol::socket;
    Socket socket;
    std::optional<asio::ssl::stream<Socket&>> tls;  // after STARTTLS
    asio::steady_timer timer;
    std::uint64_t generation = 0;  // which operation the timer guards
    bool timed_out = false;

    explicit State(const asio::any_io_executor& executor) : socket(executor), timer(executor) {}
};

ClientConnection::ClientConnection(asio::any_io_executor executor, std::string peer)
    : state_(std::make_shared<State>(executor)), peer_(std::move(peer)) {}

ClientConnection::~ClientConnection() { close(); }

void ClientConnection::close() {
    error_code ignored;
    state_->timer.cancel();
    state_->socket.close(ignored);
}

void ClientConnection::arm(Clock::time_point deadline) {
    State& s = *state_;
    s.timed_out = false;
    s.timer.expires_at(deadline);  // cancels the previous wait
    // The handler holds the state weakly: it may run after the connection is gone, and a wait that
    // expired just as its operation completed must not cut the next operation short.
    s.timer.async_wait([weak = std::weak_ptr<State>(state_), generation = ++s.generation](error_code ec) {
        if (ec) return;
        auto state = weak.lock();
        if (!state || state->generation != generation) return;
        state->timed_out = true;
        error_code ignored;
        state->socket.cancel(ignored);
    });
}

error_code ClientConnection::disarm(error_code ec) {
    ++state_->generation;
    state_->timer.cancel();
    // The operation was cancelled by the deadline: report it as what it is.
    if (state_->timed_out) return asio::error::timed_out;
    return ec;
}

asio::awaitable<Result<std::monostate>> ClientConnection::connect(const ClientEndpoint& endpoint,
                                                                  Clock::time_point deadline) {
    // The descriptor is opened here, not by Asio, to be close-on-exec like every descriptor we own.
    UniqueFd fd(::socket(endpoint.protocol().family(), SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
                         endpoint.protocol().protocol()));
    if (!fd) co_return io_error("socket", error_code(errno, boost::system::system_category()));
    error_code ec;
    state_->socket.assign(endpoint.protocol(), fd.get(), ec);
    if (ec) co_return io_error("socket", ec);
    (void)fd.release();
    arm(deadline);
    co_await state_->socket.async_connect(endpoint, asio::redirect_error(asio::use_awaitable, ec));
    if ((ec = disarm(ec))) co_return io_error("connect", ec);
    co_return std::monostate{};
}

asio::awaitable<Result<std::monostate>> ClientConnection::write(std::string_view data, Clock::time_point deadline) {
    error_code ec;
    arm(deadline);
    if (state_->tls)
        co_await asio::async_write(*state_->tls, asio::buffer(data.data(), data.size()),
                                   asio::redirect_error(asio::use_awaitable, ec));
    else
        co_await asio::async_write(state_->socket, asio::buffer(data.data(), data.size()),
                                   asio::redirect_error(asio::use_awaitable, ec));
    if ((ec = disarm(ec))) co_return io_error("send", ec);
    co_return std::monostate{};
}

asio::awaitable<Result<std::string>> ClientConnection::read_line(Clock::time_point deadline) {
    for (;;) {
        if (auto lf = buffer_.find('\n'); lf != std::string::npos) {
            std::string line = buffer_.substr(0, lf);
            buffer_.erase(0, lf + 1);
            if (!line.empty() && line.back() == '\r') line.pop_back();
            co_return line;
        }
        if (buffer_.size() > max_reply_bytes)
            co_return Error{Error::Kind::temporary, "read", "reply line too long", ErrorCode::invalid};
        char chunk[4096];
        error_code ec;
        arm(deadline);
        auto token = asio::redirect_error(asio::use_awaitable, ec);
        std::size_t n = state_->tls ? co_await state_->tls->async_read_some(asio::buffer(chunk), token)
                                    : co_await state_->socket.async_read_some(asio::buffer(chunk), token);
        ec = disarm(ec);
        buffer_.append(chunk, n);
        if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated)
            co_return Error{Error::Kind::temporary, "read", "connection closed by " + peer_, ErrorCode::io};
        if (ec) co_return io_error("read", ec);
    }
}

asio::awaitable<Result<std::monostate>> ClientConnection::start_tls(asio::ssl::context& context,
                                                                    const std::string& sni,
                                                                    Clock::time_point deadline) {
    state_->tls.emplace(state_->socket, context);
    if (!sni.empty()) SSL_set_tlsext_host_name(state_->tls->native_handle(), sni.c_str());
    error_code ec;
    arm(deadline);
    co_await state_->tls->async_handshake(asio::ssl::stream_base::client, asio::redirect_error(asio::use_awaitable, ec));
    if ((ec = disarm(ec))) {
        co_return Error{Error::Kind::temporary, "handshake", "handshake: " + handshake_error_text(ec), ErrorCode::io};
    }
    co_return std::monostate{};
}

SSL* ClientConnection::ssl() const { return state_->tls ? state_->tls->native_handle() : nullptr; }

asio::awaitable<Result<ServerReply>> ClientConnection::read_reply(Clock::time_point deadline) {
    ServerReply out;
    std::size_t bytes = 0;
    for (;;) {
        auto line = co_await read_line(deadline);
        if (!line) co_return line.error();
        bytes += line->size();
        auto parsed = bytes <= max_reply_bytes ? read_server_reply_line(*line) : std::nullopt;
        if (!parsed)
            co_return Error{Error::Kind::temporary, "read", "malformed reply: " + line->substr(0, 200),
                            ErrorCode::invalid};
        if (!out.lines.empty() && parsed->reply.code != out.reply.code)
            co_return Error{Error::Kind::temporary, "read", "inconsistent multi-line reply", ErrorCode::invalid};
        if (out.lines.empty()) out.reply = parsed->reply;
        out.lines.push_back(std::move(parsed->reply.text));
        if (!parsed->more) co_return out;
    }
}

}  // namespace mw::smtp::delivery
