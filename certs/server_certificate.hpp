// What a server's TLS session proves, measured against the outbound TLS policy of a route
// (policy/route.hpp), after the handshake: the checks Postfix's smtp client makes at its levels
// (tls_verify.c), with its words for the result.
//
// - trust, as Postfix logs it: Anonymous (no certificate), Untrusted (the chain does not verify),
//   Trusted (it verifies, but the certificate does not name the peer we wanted), Verified (it
//   verifies and names it, or its fingerprint is pinned);
// - whether the session may carry the mail: `none`, `may` and `encrypt` take any certificate;
//   `verify` wants a trusted chain naming the MX host; `secure` a trusted chain naming one of the
//   policy's names (an empty domain is the next-hop domain; `subdomains` matches a host under it);
//   `fingerprint` the SHA-256 of the certificate among the pins. `dane-only` is not implemented and
//   never passes.
#pragma once

#include <openssl/ssl.h>

#include <string>

#include "policy/route.hpp"

namespace mw::certs {

struct ServerTlsExpectation {
    policy::OutboundTls tls;
    X509_STORE* anchors = nullptr;  // the trust anchors of this route (the system's, or domain security's)
    std::string mx_host;            // the host we connected to, as DNS or the smart host named it
    std::string next_hop_domain;    // the recipient domain (MX routing) or the smart host's name
};

struct ServerTlsVerdict {
    enum class Trust { anonymous, untrusted, trusted, verified };
    Trust trust = Trust::anonymous;
    bool acceptable = false;
    std::string failure;       // when not acceptable: "Server certificate not trusted", ...
    std::string version;       // "TLSv1.3"
    std::string cipher;        // "TLS_AES_256_GCM_SHA384"
    int bits = 0, alg_bits = 0;
    std::string sha256;        // the certificate's fingerprint; "" without one
};

const char* to_string(ServerTlsVerdict::Trust trust);  // "Anonymous", "Untrusted", "Trusted", "Verified"

ServerTlsVerdict check_server_tls(SSL* ssl, const ServerTlsExpectation& expected);

// Postfix's line for an established session: "Verified TLS connection established to
// mx.example.com[192.0.2.1]:25: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)".
std::string tls_established_line(const ServerTlsVerdict& verdict, const std::string& peer);

}  // namespace mw::certs
