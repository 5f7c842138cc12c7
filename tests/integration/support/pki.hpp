// Certificates made at test time with the openssl command line: private keys are never committed.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace mw::itest {

struct Cert {
    std::filesystem::path cert;  // PEM certificate
    std::filesystem::path key;   // PEM private key, unencrypted, mode 0600
    std::filesystem::path pem;   // certificate then key: swaks --tls-cert/--tls-key, smtpd_tls_chain_files
    // SHA-256 of the DER certificate and of its DER SubjectPublicKeyInfo, uppercase colon hex: what
    // Postfix reports as ccert_fingerprint / ccert_pubkey_fingerprint with
    // smtpd_tls_fingerprint_digest = sha256, and what a Direct Trust pin holds.
    std::string sha256;
    std::string pubkey_sha256;
};

struct CertSpec {
    std::string cn;
    std::vector<std::string> dns_names;  // subjectAltName DNS entries
    bool ca = false;                     // a CA certificate (keyCertSign) instead of a leaf
    bool server_auth = false;            // extendedKeyUsage entries (a leaf with neither has none)
    bool client_auth = false;
    bool rsa = false;  // RSA 2048 instead of ECDSA P-256 (P-256 keys are generated instantly)
    int days = 7;
};

// The standard set every integration test can rely on, made in the constructor:
//   ca()               "Test CA", our organization's
//   server()           mx.example.com (CN and SAN), serverAuth + clientAuth, issued by Test CA: Postfix's
//                      smtpd and smtp identity
//   partner_ca()       "Partner CA", trusted for Domain Security (smtpd_tls_CAfile)
//   partner_client()   CN=mail.partner.example (SAN too), clientAuth, issued by Partner CA
//   untrusted_client() self-signed CN=mail.partner.example, clientAuth: same name, no trusted issuer
//   pinned()           self-signed CN=mx.other.example (SAN too): a Direct Trust pin (pinned().sha256)
class Pki {
public:
    explicit Pki(std::filesystem::path dir);

    // Makes NAME.crt, NAME.key and NAME.pem in dir(); issuer nullptr: self-signed.
    Cert issue(const std::string& name, const CertSpec& spec, const Cert* issuer = nullptr) const;

    const std::filesystem::path& dir() const { return dir_; }
    const Cert& ca() const { return ca_; }
    const Cert& server() const { return server_; }
    const Cert& partner_ca() const { return partner_ca_; }
    const Cert& partner_client() const { return partner_client_; }
    const Cert& untrusted_client() const { return untrusted_client_; }
    const Cert& pinned() const { return pinned_; }

private:
    std::filesystem::path dir_;
    Cert ca_, server_, partner_ca_, partner_client_, untrusted_client_, pinned_;
};

// SHA-256 fingerprint of a PEM certificate (DER encoding), uppercase colon hex, from
// `openssl x509 -fingerprint -sha256`.
std::string sha256_fingerprint(const std::filesystem::path& cert);

}  // namespace mw::itest
