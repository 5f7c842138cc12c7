#include "certs/peer_identity.hpp"

#include "core/fingerprint.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include <array>
#include <cstdio>

namespace mw::certs {

namespace {

using BioPtr = std::unique_ptr<BIO, OpenSslDeleter<BIO_free>>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, OpenSslDeleter<GENERAL_NAMES_free>>;

// "CN=name,O=Org" (RFC 2253 order and escaping, UTF-8 kept as is).
std::string name_text(const X509_NAME* name) {
    if (!name) return "";
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio) return "";
    unsigned long flags = XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB;
    if (X509_NAME_print_ex(bio.get(), name, 0, flags) < 0) return "";
    char* data = nullptr;
    long n = BIO_get_mem_data(bio.get(), &data);
    return n > 0 ? std::string(data, static_cast<std::size_t>(n)) : std::string();
}

std::vector<std::string> dns_names(X509* cert) {
    std::vector<std::string> out;
    GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
    if (!names) return out;
    for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
        const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names.get(), i);
        if (gn->type != GEN_DNS) continue;
        const ASN1_IA5STRING* s = gn->d.dNSName;
        out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                         static_cast<std::size_t>(ASN1_STRING_length(s)));
    }
    return out;
}

}  // namespace

std::optional<std::string> sha256_hex(X509* cert) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned int len = 0;
    if (X509_digest(cert, EVP_sha256(), md.data(), &len) != 1) return std::nullopt;
    return hex_upper(md.data(), len);
}

bool chain_verifies(SSL* ssl, X509* leaf, X509_STORE* anchors, int purpose) {
    if (!anchors) return false;
    X509StoreCtxPtr ctx(X509_STORE_CTX_new());
    if (!ctx) return false;
    // The intermediates the peer sent (borrowed from the SSL object); the leaf is passed apart.
    STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl);
    if (X509_STORE_CTX_init(ctx.get(), anchors, leaf, chain) != 1) return false;
    X509_STORE_CTX_set_purpose(ctx.get(), purpose);
    return X509_verify_cert(ctx.get()) == 1;
}

std::shared_ptr<X509_STORE> TrustAnchors::store_for(const std::filesystem::path& ca_file, std::string* error) {
    if (ca_file.empty()) return nullptr;
    std::error_code ec;
    auto mtime = std::filesystem::last_write_time(ca_file, ec);
    if (ec) {
        if (error) *error = "cannot read " + ca_file.string() + ": " + ec.message();
        return nullptr;
    }
    std::lock_guard lock(mutex_);
    if (store_ && path_ == ca_file && mtime_ == mtime) return store_;
    X509StorePtr store(X509_STORE_new());
    if (!store || X509_STORE_load_file(store.get(), ca_file.c_str()) != 1) {
        if (error) *error = "cannot load trust anchors from " + ca_file.string();
        return nullptr;
    }
    store_ = std::shared_ptr<X509_STORE>(store.release(), X509_STORE_free);
    path_ = ca_file;
    mtime_ = mtime;
    return store_;
}

policy::TlsFacts tls_facts(SSL* ssl, X509_STORE* anchors) {
    policy::TlsFacts facts;
    facts.version = SSL_get_version(ssl);
    if (const SSL_CIPHER* c = SSL_get_current_cipher(ssl)) {
        facts.cipher = SSL_CIPHER_get_name(c);
        facts.cipher_bits = SSL_CIPHER_get_bits(c, nullptr);
    }
    X509Ptr cert(SSL_get1_peer_certificate(ssl));
    if (cert) {
        policy::PeerCertificate pc;
        pc.subject = name_text(X509_get_subject_name(cert.get()));
        pc.issuer = name_text(X509_get_issuer_name(cert.get()));
        pc.sans = dns_names(cert.get());
        pc.sha256 = sha256_hex(cert.get());
        pc.verified = chain_verifies(ssl, cert.get(), anchors, X509_PURPOSE_SSL_CLIENT);
        facts.cert = std::move(pc);
    }
    return facts;
}

int cipher_bits(SSL* ssl) {
    const SSL_CIPHER* c = SSL_get_current_cipher(ssl);
    return c ? SSL_CIPHER_get_bits(c, nullptr) : 0;
}

}  // namespace mw::certs
