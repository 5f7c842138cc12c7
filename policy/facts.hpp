// Facts about a session and message, as a front door knows them. The milter fills them from
// macros, the SMTP server from the socket and OpenSSL, `explain` from its flags. A fact a front
// door cannot know is absent (std::nullopt / empty), and rules that need it fail closed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/address.hpp"
#include "policy/ip.hpp"
#include "policy/ruleset.hpp"

namespace mw::policy {

// Which front door: decides what can be known (README "mailwarden explain").
enum class Mta { standalone, postfix, sendmail };
const char* to_string(Mta m);

struct PeerCertificate {
    // Subject and issuer as the front door reports them: a full DN ("/O=Org/CN=name" as Sendmail
    // writes it, or "CN=name,O=Org"), or only the CN (Postfix milter). The engine extracts the CN.
    std::string subject;
    std::string issuer;
    std::vector<std::string> sans;      // DNS subjectAltNames; empty when unknown (milter mode)
    std::optional<std::string> sha256;  // 64 upper-case hex digits; absent when unknown
    bool verified = false;              // chain verified against the trust anchors
};

struct TlsFacts {
    std::string version;  // "TLSv1.3"
    std::string cipher;   // "TLS_AES_256_GCM_SHA384"
    int cipher_bits = 0;  // the cipher's strength (256); 0 = not known
    std::optional<PeerCertificate> cert;
};

struct SessionFacts {
    Mta mta = Mta::standalone;
    std::optional<std::string> daemon_name;  // milter {daemon_name}
    std::optional<IpAddress> local_address;  // the address the client connected to
    std::optional<std::uint16_t> local_port;
    IpAddress client_address;
    std::string client_name = "unknown";  // the confirmed PTR name (README "Reverse DNS"), else "unknown"
    std::string helo;
    std::optional<TlsFacts> tls;                // present once TLS is active
    std::optional<std::string> auth_login;      // SMTP AUTH or MTA-reported login (XCLIENT)
    std::string auth_mechanism;                 // "PLAIN", "LOGIN", "XCLIENT", ...
};

// False for "unknown" and for the "[192.0.2.1]" form Sendmail gives an address without a name.
inline bool client_name_known(std::string_view name) {
    return !name.empty() && name != "unknown" && name.front() != '[';
}

struct HeaderFacts {
    std::vector<HeaderField> fields;  // in arrival order; names as received
};

}  // namespace mw::policy
