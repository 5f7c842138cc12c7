// Postfix lookup tables answered from the rules (README "Send connectors"; README
// "Attaching mailwarden to Postfix"): transport_maps and smtp_tls_policy_maps, as the daemon's socketmap serves them.
// Pure: a key in, an answer out; the wire format lives in postfix/socketmap_protocol.
//
// Postfix keeps the case of keys, so every key is compared case-insensitively (normalized as the
// rules are). An answer never carries secrets: the socketmap is unauthenticated (socketmap_table(5)).
#pragma once

#include <string>
#include <string_view>

#include "policy/route.hpp"
#include "policy/ruleset.hpp"

namespace mw::postfix {

struct MapAnswer {
    enum class Status { ok, notfound, temp, perm };
    Status status = Status::notfound;
    std::string data;  // ok: the table value, never empty; temp/perm: the reason; notfound: ""
};
const char* to_string(MapAnswer::Status s);  // "OK", "NOTFOUND", "TEMP", "PERM" (the socketmap words)

// transport_maps. Postfix asks with the full recipient address and with "*", never a bare domain.
// - an address routed by a smart-hosted send connector: OK "smtp:[192.0.2.1]:25" (the connector's
//   first smart host in Postfix next-hop syntax; "smtp:relay.example.net" keeps its MX lookup)
// - an address routed by an MX-routed send connector: OK "smtp:" (empty next hop: the recipient
//   domain's MX, overriding relayhost)
// - "*", authoritative domains, unrouted domains, keys that are not addresses: NOTFOUND, so
//   Postfix's own routing applies
// - an internal error: TEMP (Postfix defers the message)
MapAnswer lookup_transport(const policy::Ruleset& rules, std::string_view key) noexcept;

// smtp_tls_policy_maps. The key is Postfix's next hop verbatim:
// - "bank.example": a recipient domain delivered to its MX. The policy of the MX-routed send
//   connector routing it, raised by the domain's requirements; with no such connector (none covers
//   it, it is authoritative, or its connector uses smart hosts and Postfix was routed otherwise),
//   the requirements alone.
// - ".bank.example": Postfix's parent lookup for some subdomain of bank.example whose own lookup
//   found nothing; only "*.D" rules covering every subdomain of bank.example apply, never the rule
//   for bank.example itself, and `secure` matches Postfix's "nexthop" (the actual subdomain).
// - "[host]:port", "[host]", "host:port": a smart host. The strongest policy of the send
//   connectors listing it (on equal strength, the first in file order). "[h]" and "[h]:25" are one
//   next hop (25 is Postfix's default port), so both keys answer alike; "[h]" and "h" are not
//   (brackets turn Postfix's MX lookup off).
// - "host": both a recipient domain and a smart host written without brackets and port: the
//   stronger of the two answers.
// Nothing applies, or a malformed key: NOTFOUND (Postfix uses its global default). Internal
// error: TEMP.
MapAnswer lookup_tls_policy(const policy::Ruleset& rules, std::string_view key) noexcept;

// An outbound TLS policy as smtp_tls_policy_maps writes it: "none", "may", "encrypt", "verify",
// "secure match=bank.example:.bank.example", "dane-only", "fingerprint match=AB:CD:...". Postfix's
// "nexthop" and "dot-nexthop" stand for names the engine left to the next hop. This is the only
// place that knows that syntax; `explain` shows it too, as `route.tls_policy`.
std::string tls_policy_text(const policy::OutboundTls& tls);

}  // namespace mw::postfix
