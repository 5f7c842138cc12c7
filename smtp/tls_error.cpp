#include "smtp/tls_error.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace mw::smtp {

std::string handshake_error_text(const boost::system::error_code& ec) {
    if (ec.category() == asio::error::get_ssl_category()) {
        // Asio keeps the packed OpenSSL error code (ERR_get_error) in an int; the error strings are
        // loaded once (already done wherever a TLS context exists).
        OPENSSL_init_ssl(OPENSSL_INIT_LOAD_SSL_STRINGS | OPENSSL_INIT_LOAD_CRYPTO_STRINGS, nullptr);
        char text[256];
        ERR_error_string_n(static_cast<unsigned long>(static_cast<unsigned int>(ec.value())), text, sizeof text);
        return text;
    }
    if (ec == asio::error::operation_aborted) return "timed out";
    return ec.message();
}

}  // namespace mw::smtp
