// Where a recipient goes when it leaves this server, and the TLS its delivery demands, as typed
// values. The engine decides them (engine_route.cpp); each MTA renders them in its own words
// (postfix/postfix_maps.cpp for Postfix's tables), and standalone delivery uses them as they are.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "policy/ruleset.hpp"

namespace mw::policy {

// The next hop: the recipient domain's MX records, or a smart host of the send connector.
struct NextHop {
    enum class Kind { mx, host };
    Kind kind = Kind::mx;
    std::string domain;  // mx: the domain whose MX records are looked up
    std::uint16_t port = 25;  // mx: the port of its hosts (the send connector's `port`)
    SmartHost host;      // host: name or address, port, and whether it is literal ("[h]": no MX lookup)
    // "example.com" (MX; "example.com:2525" off port 25, Postfix's next-hop syntax) or the smart
    // host as the rules write it: "[192.0.2.1]:25", "relay.example.net".
    std::string str() const;
    bool operator==(const NextHop&) const = default;
};

// A name the peer's certificate must carry. `domain` empty means "the next hop": the domain the
// delivery is for, when the policy is decided for some subdomain not known yet (a "*.P" lookup).
struct CertificateName {
    std::string domain;
    bool subdomains = false;  // a host name under `domain` matches, not `domain` itself
    bool operator==(const CertificateName&) const = default;
};

// The outbound TLS a delivery demands. Levels are ordered by strength; a policy is only raised.
struct OutboundTls {
    enum class Level {
        none,         // never TLS
        may,          // TLS when offered, any certificate
        encrypt,      // TLS required, any certificate
        verify,       // TLS required, certificate chain verified
        secure,       // verified, and the certificate names one of `names`
        dane_only,    // DANE (RFC 7672): DNSSEC-signed TLSA records must match; never in the clear
        fingerprint,  // the certificate's SHA-256 is one of `pins` (Direct Trust)
    };
    Level level = Level::may;
    std::vector<CertificateName> names;  // secure
    std::vector<std::string> pins;       // fingerprint: 64 upper-case hex digits each
    // Domain Security (mutual TLS): the partner expects our client certificate.
    bool client_certificate = false;
    // The recipient domain's floors ([[tls_required]] min_cipher_bits, min_tls_version): a session
    // below them is not used.
    int min_cipher_bits = 0;
    TlsVersion min_tls_version = TlsVersion::any;
    bool operator==(const OutboundTls&) const = default;
};
const char* to_string(OutboundTls::Level level);  // "none", "may", "encrypt", ..., "dane-only"
// How strong a level is: dane-only proves as much as secure (its names come from DNSSEC).
int strength(OutboundTls::Level level);
// For traces and `explain`: "may", "secure (bank.example, .bank.example)", "fingerprint (AB:CD:…)".
std::string describe(const OutboundTls& tls);

struct Route {
    std::string send_connector;  // name of the winning send connector
    NextHop nexthop;
    // The connector's other smart hosts, in order: standalone delivery tries their addresses after
    // the first one's (Postfix's list of relayhost destinations). Empty for MX routing.
    std::vector<NextHop> fallbacks;
    OutboundTls tls;
    std::string tls_set_by;  // what decided `tls`: "send connector Internet", "tls_required bank.example",
                             // "domain security send partner.example", "direct trust partner.example"
    // The send connector has `hold`: standalone delivery keeps the mail until an ETRN for its domain.
    bool hold = false;
    bool smart_host() const { return nexthop.kind == NextHop::Kind::host; }
};

}  // namespace mw::policy
