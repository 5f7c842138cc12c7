#include "certs/client_context.hpp"

#include "certs/tls_identity.hpp"

namespace mw::certs {

Result<SslCtxPtr> make_client_context() {
    SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
    if (!ctx) return Error{Error::Kind::config, "SSL_CTX_new", openssl_error(), ErrorCode::config};
    SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
    SSL_CTX_set_mode(ctx.get(), SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_options(ctx.get(), SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
    return ctx;
}

Result<SslCtxPtr> make_client_context(const std::filesystem::path& cert_chain, const std::filesystem::path& key) {
    auto ctx = make_client_context();
    if (!ctx) return ctx.error();
    if (auto loaded = load_identity(ctx->get(), cert_chain, key); !loaded) return loaded.error();
    return std::move(*ctx);
}

Result<X509StorePtr> system_trust_anchors() {
    X509StorePtr store(X509_STORE_new());
    if (!store || X509_STORE_set_default_paths(store.get()) != 1)
        return Error{Error::Kind::config, "trust anchors", "cannot load the system CA certificates: " + openssl_error(),
                     ErrorCode::config};
    return store;
}

}  // namespace mw::certs
