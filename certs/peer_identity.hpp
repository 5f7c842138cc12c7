// The TLS facts of a standalone session, read from OpenSSL directly (docs/design.md decision 2): version,
// cipher, and the client certificate's subject and issuer DNs, DNS subjectAltNames, SHA-256
// fingerprint over the DER, and whether its chain verifies against the trust anchors. The verdict
// is a fact; policy decides what it means (Postfix's tls_verify.c works the same way).
#pragma once

#include <openssl/ssl.h>

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "certs/openssl_ptr.hpp"
#include "policy/facts.hpp"

namespace mw::certs {

// The trust anchors of domain security (`[domain_security] ca_file`), loaded once and again only
// when the file or its modification time changes, so a rule reload that names another file, or an
// updated file, takes effect without a restart. Thread-safe.
class TrustAnchors {
public:
    // nullptr when `ca_file` is empty or cannot be read (then no certificate counts as verified;
    // `error` says why, for the log).
    std::shared_ptr<X509_STORE> store_for(const std::filesystem::path& ca_file, std::string* error);

private:
    std::mutex mutex_;
    std::filesystem::path path_;
    std::filesystem::file_time_type mtime_{};
    std::shared_ptr<X509_STORE> store_;
};

// After a completed handshake on `ssl`: the session's TLS facts. The client certificate, when one
// was sent, is verified against `anchors` (may be null: unverified) with the chain the client sent.
policy::TlsFacts tls_facts(SSL* ssl, X509_STORE* anchors);

// Whether `leaf`, with the intermediates the peer sent on `ssl`, chains to `anchors` (null: never)
// for `purpose` (X509_PURPOSE_SSL_CLIENT for a client we serve, X509_PURPOSE_SSL_SERVER for a
// server we deliver to).
bool chain_verifies(SSL* ssl, X509* leaf, X509_STORE* anchors, int purpose);

// The certificate's SHA-256 fingerprint in the normal form (core/fingerprint.hpp).
std::optional<std::string> sha256_hex(X509* cert);

// Bits of the negotiated cipher (for the Received: header), 0 when unknown.
int cipher_bits(SSL* ssl);

}  // namespace mw::certs
