#include "certs/server_context.hpp"

#include <string>

#include "certs/tls_identity.hpp"

namespace mw::certs {

namespace {

// TLS 1.2 suites, as Mozilla's "intermediate" profile (ECDHE only): AEAD ciphers only, so no CBC
// suite (LUCKY13 and the other padding-oracle attacks on MAC-then-encrypt). OpenSSL's default list
// still has them. TLS 1.3 has only AEAD suites, and its default list is kept.
constexpr const char* tls12_ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

// Every client certificate is accepted at the handshake: whether it is trusted is decided after,
// against the domain-security trust anchors of the rules in force (peer_identity.cpp).
int accept_any_certificate(int /*preverify_ok*/, X509_STORE_CTX* /*ctx*/) { return 1; }

}  // namespace

Result<SslCtxPtr> make_server_context(const std::filesystem::path& cert_chain, const std::filesystem::path& key) {
    SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
    if (!ctx) return Error{Error::Kind::config, "SSL_CTX_new", openssl_error(), ErrorCode::config};
    SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
    SSL_CTX_set_mode(ctx.get(), SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_options(ctx.get(), SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    if (SSL_CTX_set_cipher_list(ctx.get(), tls12_ciphers) != 1)
        return Error{Error::Kind::config, "SSL_CTX_set_cipher_list", openssl_error()};
    if (auto loaded = load_identity(ctx.get(), cert_chain, key); !loaded) return loaded.error();
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, accept_any_certificate);
    // Sessions are not resumed across connections: every session's certificate facts come from a
    // full handshake.
    SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_OFF);
    SSL_CTX_set_num_tickets(ctx.get(), 0);
    SSL_CTX_set_options(ctx.get(), SSL_OP_NO_TICKET);
    static const unsigned char session_id[] = "mailwarden";
    SSL_CTX_set_session_id_context(ctx.get(), session_id, sizeof session_id - 1);
    return ctx;
}

}  // namespace mw::certs
