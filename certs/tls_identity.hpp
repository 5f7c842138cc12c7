// What the server and client TLS contexts share: OpenSSL's last error as text, and loading our own
// certificate chain and key into a context (the STARTTLS identity of standalone mode, which is also
// the client certificate Domain Security presents to partners).
#pragma once

#include <openssl/ssl.h>

#include <filesystem>
#include <string>
#include <variant>

#include "core/result.hpp"

namespace mw::certs {

// The oldest queued OpenSSL error as "error:0A000086:SSL routines::certificate verify failed"; the
// queue is cleared.
std::string openssl_error();

// Loads the chain and key into `ctx` and checks that they match. Error (kind config, origin
// "tls_cert" or "tls_key") naming the file that failed.
Result<std::monostate> load_identity(SSL_CTX* ctx, const std::filesystem::path& cert_chain,
                                     const std::filesystem::path& key);

}  // namespace mw::certs
