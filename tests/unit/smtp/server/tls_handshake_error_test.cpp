// What the log says about a failed STARTTLS handshake: OpenSSL's reason, including the alert a client
// sent, rather than a bare "handshake failed".
#define BOOST_TEST_MODULE smtp tls handshake error
#include <boost/test/unit_test.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "smtp/tls_error.hpp"

using namespace mw::smtp;

namespace {

boost::system::error_code ssl_error(int reason) {
    return {static_cast<int>(ERR_PACK(ERR_LIB_SSL, 0, reason)), asio::error::get_ssl_category()};
}

}  // namespace

BOOST_AUTO_TEST_CASE(openssl_errors_carry_their_reason) {
    std::string text = handshake_error_text(ssl_error(SSL_R_NO_SHARED_CIPHER));
    BOOST_TEST(text.rfind("error:", 0) == 0u, text);
    BOOST_TEST(text.find(":SSL routines:") != std::string::npos, text);
    BOOST_TEST(text.find("no shared cipher") != std::string::npos, text);
}

BOOST_AUTO_TEST_CASE(an_alert_from_the_client_is_named) {
    std::string text = handshake_error_text(ssl_error(SSL_R_TLSV1_ALERT_UNKNOWN_CA));
    BOOST_TEST(text.find("alert unknown ca") != std::string::npos, text);
    text = handshake_error_text(ssl_error(SSL_R_TLSV1_ALERT_PROTOCOL_VERSION));
    BOOST_TEST(text.find("alert protocol version") != std::string::npos, text);
}

BOOST_AUTO_TEST_CASE(other_failures_say_what_happened) {
    BOOST_TEST(handshake_error_text(asio::error::operation_aborted) == "timed out");
    BOOST_TEST(handshake_error_text(asio::error::connection_reset) == "Connection reset by peer");
    BOOST_TEST(handshake_error_text(asio::ssl::error::stream_truncated) == "stream truncated");
}
