#include "certs/tls_identity.hpp"

#include <openssl/err.h>

namespace mw::certs {

std::string openssl_error() {
    unsigned long e = ERR_get_error();
    if (e == 0) return "unknown OpenSSL error";
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    ERR_clear_error();
    return buf;
}

Result<std::monostate> load_identity(SSL_CTX* ctx, const std::filesystem::path& cert_chain,
                                     const std::filesystem::path& key) {
    if (SSL_CTX_use_certificate_chain_file(ctx, cert_chain.c_str()) != 1)
        return Error{Error::Kind::config, "tls_cert", cert_chain.string() + ": " + openssl_error(), ErrorCode::config};
    if (SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM) != 1)
        return Error{Error::Kind::config, "tls_key", key.string() + ": " + openssl_error(), ErrorCode::config};
    if (SSL_CTX_check_private_key(ctx) != 1)
        return Error{Error::Kind::config, "tls_key", key.string() + " does not match " + cert_chain.string(), ErrorCode::config};
    return std::monostate{};
}

}  // namespace mw::certs
