// The STARTTLS client context of standalone delivery: TLS 1.2 and later, OpenSSL's default suites
// (a mail server at the other end may be old, and at the opportunistic level any TLS beats the
// plaintext we would fall back to). The handshake never fails over the server's certificate: what
// the certificate proves is decided after it, against the policy of the route
// (server_certificate.hpp), so the log can say why a session was not used.
#pragma once

#include <filesystem>

#include "certs/openssl_ptr.hpp"
#include "core/result.hpp"

namespace mw::certs {

// Without a certificate of our own.
Result<SslCtxPtr> make_client_context();
// Presenting `cert_chain` and `key` when the server asks (Domain Security's mutual TLS). Error
// (kind config) when the files do not load or do not match.
Result<SslCtxPtr> make_client_context(const std::filesystem::path& cert_chain, const std::filesystem::path& key);

// The system's trust anchors (OpenSSL's default paths: Debian's /etc/ssl/certs), for verifying
// servers at the certificate-validation levels. Error (kind config) when none can be loaded.
Result<X509StorePtr> system_trust_anchors();

}  // namespace mw::certs
