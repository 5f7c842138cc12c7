// The STARTTLS server context of standalone mode (`[smtp] tls_cert`, `tls_key`).
#pragma once

#include <filesystem>

#include "certs/openssl_ptr.hpp"
#include "core/result.hpp"

namespace mw::certs {

// TLS 1.2 and later; asks for a client certificate without requiring one and accepts any (the
// verdict becomes a fact, see peer_identity.hpp); SSL_MODE_RELEASE_BUFFERS so an idle TLS session
// does not keep its 34 KiB of record buffers. Error (kind config) when the files do not load or the
// key does not match the certificate. At TLS 1.2 only ECDHE with AES-GCM or ChaCha20-Poly1305 is
// offered (Mozilla's "intermediate" profile); TLS 1.3 keeps OpenSSL's suites.
Result<SslCtxPtr> make_server_context(const std::filesystem::path& cert_chain, const std::filesystem::path& key);

}  // namespace mw::certs
