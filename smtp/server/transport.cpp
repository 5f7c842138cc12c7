#include "smtp/server/transport.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <array>

namespace mw::smtp::server {

namespace {

constexpr std::size_t read_chunk = 16 * 1024;

// One buffer per I/O thread, filled and emptied into `reader` with no suspension in between. This is
// a plain function, never inlined into the coroutine: clang may keep a thread_local's address across
// a co_await (llvm issue 47179), which after a resume on another thread would share the buffer with
// that thread's sessions.
[[gnu::noinline]] std::size_t read_ready(Transport::Socket& socket, LineReader& reader, boost::system::error_code& ec) {
    thread_local std::array<char, read_chunk> buffer;
    std::size_t n = socket.read_some(asio::buffer(buffer), ec);
    if (!ec) reader.feed(std::string_view(buffer.data(), n));
    return n;
}

}  // namespace

asio::awaitable<std::size_t> Transport::read_some(LineReader& reader) {
    if (tls_) {
        if (!tls_buffer_) tls_buffer_ = std::make_unique<char[]>(read_chunk);
        std::size_t n = co_await tls_->async_read_some(asio::buffer(tls_buffer_.get(), read_chunk), asio::use_awaitable);
        reader.feed(std::string_view(tls_buffer_.get(), n));
        co_return n;
    }
    for (;;) {
        co_await socket_.async_wait(Socket::wait_read, asio::use_awaitable);
        boost::system::error_code ec;
        std::size_t n = read_ready(socket_, reader, ec);
        if (ec == asio::error::would_block || ec == asio::error::try_again) continue;
        if (ec == asio::error::eof) co_return 0;
        if (ec) throw boost::system::system_error(ec);
        co_return n;
    }
}

asio::awaitable<void> Transport::write(std::string_view bytes) {
    if (tls_)
        co_await asio::async_write(*tls_, asio::buffer(bytes.data(), bytes.size()), asio::use_awaitable);
    else
        co_await asio::async_write(socket_, asio::buffer(bytes.data(), bytes.size()), asio::use_awaitable);
}

asio::awaitable<boost::system::error_code> Transport::start_tls(asio::ssl::context& context) {
    tls_.emplace(socket_, context);
    boost::system::error_code ec;
    co_await tls_->async_handshake(asio::ssl::stream_base::server, asio::redirect_error(asio::use_awaitable, ec));
    co_return ec;
}

void Transport::close() {
    boost::system::error_code ignored;
    socket_.shutdown(Socket::shutdown_both, ignored);
    socket_.close(ignored);
}

}  // namespace mw::smtp::server
