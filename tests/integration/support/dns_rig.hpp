// A private DNS tree on loopback for the outbound tests: NSD, authoritative for a fake root "." and
// for every zone a test names, each signed with keys made at test time (ldns-keygen, ldns-signzone;
// NSEC3) unless the test wants it unsigned or expired. Each parent zone gets its children's NS and
// DS records, so the root's DS is the only trust anchor, as in production. mailwarden's resolver
// forwards to this NSD (`[dns] forwarders`), validating with that anchor.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "support/process.hpp"

namespace mw::itest {

struct DnsZone {
    enum class Signing { signed_zone, unsigned_zone, expired };
    std::string origin;   // "secure.test." (with the dot); "." is made by the rig
    std::string records;  // zone-file lines relative to the origin ("@ MX 10 mx", "mx A 127.0.77.10");
                          // SOA, NS and the children's delegations are added
    Signing signing = Signing::signed_zone;
};

class DnsRig {
public:
    DnsRig(std::filesystem::path dir, std::vector<DnsZone> zones);

    std::string forwarder() const;  // "127.0.0.1:PORT", for [dns] forwarders
    std::uint16_t port() const { return port_; }
    const std::filesystem::path& trust_anchor() const { return trust_anchor_; }    // the root KSK's DS
    const std::filesystem::path& unbound_config() const { return unbound_config_; }  // local-zone lines
    std::string dns_section() const;  // the whole [dns] table of a mailwarden.toml using this rig
    // `dig` at the rig (the NSD itself, no validation): for a test's own checks and failure output.
    std::string dig(const std::string& name, const std::string& type) const;

private:
    std::filesystem::path dir_;
    std::uint16_t port_ = 0;
    std::filesystem::path trust_anchor_;
    std::filesystem::path unbound_config_;
    Process nsd_;
};

}  // namespace mw::itest
