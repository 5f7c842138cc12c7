// A session's byte stream: the TCP socket, and after STARTTLS the TLS stream over it.
//
// Memory matters here (thousands of idle sessions): a plaintext session owns no read buffer. It
// waits for readability and then reads into a per-thread buffer without suspending, so the bytes
// land in the session's LineReader at once. A TLS session needs its own buffer (OpenSSL may hold
// decrypted bytes across a suspension), allocated at STARTTLS.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "smtp/asio.hpp"
#include "smtp/server/line_reader.hpp"
#include "smtp/tls_error.hpp"  // handshake_error_text, for the STARTTLS log line

namespace mw::smtp::server {

class Transport {
public:
    using Socket = asio::ip::tcp::socket;
    explicit Transport(Socket socket) : socket_(std::move(socket)) { socket_.non_blocking(true); }

    // Reads what is available (at least one byte) into `reader`. Returns 0 at end of stream.
    // Throws boost::system::system_error on errors (also when close() cancelled the read).
    asio::awaitable<std::size_t> read_some(LineReader& reader);
    asio::awaitable<void> write(std::string_view bytes);
    // Server-side handshake: no error, or why it failed (the caller closes the connection).
    asio::awaitable<boost::system::error_code> start_tls(asio::ssl::context& context);

    bool tls_active() const { return tls_.has_value(); }
    SSL* ssl() { return tls_ ? tls_->native_handle() : nullptr; }
    Socket& socket() { return socket_; }
    // Ends the connection now: pending reads and writes finish with an error.
    void close();

private:
    Socket socket_;
    std::optional<asio::ssl::stream<Socket&>> tls_;
    std::unique_ptr<char[]> tls_buffer_;
};


}  // namespace mw::smtp::server
