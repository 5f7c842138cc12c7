#include "certs/server_certificate.hpp"

#include <openssl/x509v3.h>

#include <algorithm>

#include "certs/peer_identity.hpp"

namespace mw::certs {

namespace {

using Level = policy::OutboundTls::Level;

bool names_host(X509* cert, const std::string& name) {
    if (name.empty()) return false;
    // A name starting with "." matches any host under it (OpenSSL's X509_check_host rule), which
    // is how Postfix's "secure" level writes "a host under the domain".
    return X509_check_host(cert, name.data(), name.size(), X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, nullptr) == 1;
}

bool names_policy(X509* cert, const ServerTlsExpectation& e) {
    for (const auto& n : e.tls.names) {
        const std::string& domain = n.domain.empty() ? e.next_hop_domain : n.domain;
        if (names_host(cert, n.subdomains ? "." + domain : domain)) return true;
    }
    // A secure policy without names matches the next hop and the hosts under it (Postfix's default
    // smtp_tls_secure_cert_match = nexthop, dot-nexthop).
    return e.tls.names.empty() && (names_host(cert, e.next_hop_domain) || names_host(cert, "." + e.next_hop_domain));
}

}  // namespace

const char* to_string(ServerTlsVerdict::Trust trust) {
    switch (trust) {
        case ServerTlsVerdict::Trust::anonymous: return "Anonymous";
        case ServerTlsVerdict::Trust::untrusted: return "Untrusted";
        case ServerTlsVerdict::Trust::trusted: return "Trusted";
        case ServerTlsVerdict::Trust::verified: return "Verified";
    }
    return "Anonymous";
}

ServerTlsVerdict check_server_tls(SSL* ssl, const ServerTlsExpectation& e) {
    ServerTlsVerdict v;
    v.version = SSL_get_version(ssl);
    if (const SSL_CIPHER* c = SSL_get_current_cipher(ssl)) {
        v.cipher = SSL_CIPHER_get_name(c);
        v.bits = SSL_CIPHER_get_bits(c, &v.alg_bits);
    }
    X509Ptr cert(SSL_get1_peer_certificate(ssl));
    const Level level = e.tls.level;
    if (cert) {
        v.sha256 = sha256_hex(cert.get()).value_or("");
        const bool chain = chain_verifies(ssl, cert.get(), e.anchors, X509_PURPOSE_SSL_SERVER);
        const bool named = level == Level::secure ? names_policy(cert.get(), e) : names_host(cert.get(), e.mx_host);
        const bool pinned = std::find(e.tls.pins.begin(), e.tls.pins.end(), v.sha256) != e.tls.pins.end();
        v.trust = level == Level::fingerprint ? (pinned ? ServerTlsVerdict::Trust::verified
                                                        : ServerTlsVerdict::Trust::untrusted)
                  : !chain                    ? ServerTlsVerdict::Trust::untrusted
                  : named                     ? ServerTlsVerdict::Trust::verified
                                              : ServerTlsVerdict::Trust::trusted;
    }
    switch (level) {
        case Level::none:
        case Level::may:
        case Level::encrypt: v.acceptable = true; break;
        case Level::verify:
        case Level::secure:
            v.acceptable = v.trust == ServerTlsVerdict::Trust::verified;
            if (!v.acceptable)
                v.failure = !cert ? "Server certificate not presented"
                          : v.trust == ServerTlsVerdict::Trust::untrusted
                              ? "Server certificate not trusted"
                              : "Server certificate not verified: it does not name " +
                                    (level == Level::verify ? e.mx_host : e.next_hop_domain);
            break;
        case Level::fingerprint:
            v.acceptable = v.trust == ServerTlsVerdict::Trust::verified;
            if (!v.acceptable)
                v.failure = !cert ? "Server certificate not presented"
                                  : "Server certificate not verified: its fingerprint " + v.sha256 +
                                        " is not a Direct Trust pin of the domain";
            break;
        case Level::dane_only:
            v.failure = "DANE is not supported in this version";
            break;
    }
    // The recipient domain's floors ([[tls_required]] min_tls_version, min_cipher_bits).
    if (v.acceptable && e.tls.min_tls_version != policy::TlsVersion::any &&
        policy::tls_version_of(v.version) < e.tls.min_tls_version) {
        v.acceptable = false;
        v.failure = "TLS version " + v.version + " is older than the required " + to_string(e.tls.min_tls_version);
    } else if (v.acceptable && e.tls.min_cipher_bits > 0 && v.bits < e.tls.min_cipher_bits) {
        v.acceptable = false;
        v.failure = "TLS cipher " + v.cipher + " has " + std::to_string(v.bits) + " bits, fewer than the required " +
                    std::to_string(e.tls.min_cipher_bits);
    }
    return v;
}

std::string tls_established_line(const ServerTlsVerdict& v, const std::string& peer) {
    return std::string(to_string(v.trust)) + " TLS connection established to " + peer + ": " + v.version +
           " with cipher " + v.cipher + " (" + std::to_string(v.bits) + "/" + std::to_string(v.alg_bits) + " bits)";
}

}  // namespace mw::certs
