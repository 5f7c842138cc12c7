// Relaying in `mailwarden export sendmail`. Sendmail keeps its own relay refusal (no relay-opening
// FEATURE and no RELAY_DOMAIN is ever printed): it relays to the accepted domains (access-map To:
// RELAY entries) and for the clients mailwarden grants relaying by address (Connect: RELAY
// entries), both printed as notes for /etc/mail/access; mailwarden then refuses, recipient by
// recipient, whatever its rules do not grant.
#pragma once

#include <string>
#include <vector>

#include "policy/ip.hpp"
#include "policy/ruleset.hpp"

namespace mw::sendmail {

// The access-map entries (as dnl notes) for relaying to the accepted domains and by client address.
std::string sendmail_relay_section(const policy::Ruleset& rules);

// The access-map keys (after "Connect:") that cover `network` as Sendmail matches client addresses:
// IPv4 by whole leading octets ("10.20"), IPv6 by whole leading 16-bit groups of its uncompressed
// form ("IPv6:2001:db8:0:5"). A prefix between boundaries takes every key of the next boundary
// ("10.20.0.0/20": "10.20.0" ... "10.20.15"); when that would be more than `max_keys` keys, `keys`
// is empty and `note` says so. A /0 network has no key (`keys` empty, `note` says why).
struct ConnectKeys {
    std::vector<std::string> keys;
    std::string note;  // "" when the keys cover the network exactly
};
ConnectKeys sendmail_connect_keys(const IpNetwork& network, std::size_t max_keys = 16);

}  // namespace mw::sendmail
