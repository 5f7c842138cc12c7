// From a route's next hop to the addresses a delivery tries, in order (RFC 5321 section 5.1, as
// Postfix's smtp client does it):
// - a domain: its MX records by preference, equal preferences shuffled; no MX records: the domain's
//   own A/AAAA (the implicit MX); a null MX (RFC 7505): bounce 5.1.10; an MX that is this host: it
//   and every MX at or below its preference are dropped (none left: mail loop, 5.4.6);
// - a smart host "relay.example.net": its MX records, as Postfix resolves a relayhost; "[relay]":
//   its A/AAAA only; "[192.0.2.1]": that address;
// - every host's AAAA then A records, at most `address_limit` addresses in all (Postfix's
//   smtp_mx_address_limit), so a domain with twenty MX hosts does not hold a delivery for hours.
//
// DNS failures are temporary (4.4.3) and say whose they are: our resolver (a libunbound error, or
// a failure while the root's NS records cannot be resolved either) or the destination's DNS
// (SERVFAIL, a timeout or a bogus DNSSEC answer while the root answers). A name that provably does not
// exist is permanent (5.4.4). A host among several that fails to resolve is passed over while others
// remain; only when no address is left does its failure decide.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/smtp_reply.hpp"
#include "policy/route.hpp"
#include "smtp/asio.hpp"
#include "smtp/dns/dns_answer.hpp"
#include "smtp/dns/resolver.hpp"

namespace mw::smtp::delivery {

// One address to connect to.
struct DeliveryTarget {
    std::string host;     // the MX host or smart host name; the address itself for a literal
    std::string address;  // an IP address literal
    std::uint16_t port = 25;
    int preference = 0;   // the MX preference; 0 for an implicit MX or a smart host
    bool dnssec = false;  // the MX answer and this address answer were both validated (secure)
    std::string str() const;  // "mx1.example.com[192.0.2.1]:25", Postfix's relay= form
    bool operator==(const DeliveryTarget&) const = default;
};

// True for an IPv4 or IPv6 address in text form ("192.0.2.1", "2001:db8::1"), not a host name:
// such a host is used as it is, and gets no SNI.
bool is_address_literal(const std::string& host);

struct ResolvedNextHop {
    enum class Status { ok, temporary, permanent };
    Status status = Status::temporary;
    std::vector<DeliveryTarget> targets;  // ok: in the order they are tried
    // Not ok: the reply every recipient gets ("451 4.4.3 ...", "550 5.1.10 ..."); its text is
    // public (it goes into DSNs), so it names the destination and never our configuration.
    SmtpReply failure{451, "4.4.3", ""};
    bool local_resolver = false;  // temporary because our own resolver failed, not the destination
    std::string detail;           // for the log: the resolver's own words (why_bogus, libunbound's error)
    bool mx_secure = false;       // the MX lookup (or the implicit MX's address lookup) was secure
};

struct NextHopOptions {
    std::size_t address_limit = 5;
    std::vector<std::string> own_names;  // this host's names ([organization] hostname): an MX that is us
    bool ipv4 = true;
    bool ipv6 = true;
    std::function<std::size_t(std::size_t)> random;  // 0..n-1, for the shuffle; empty: std::random_device
};

// One DNS lookup; the resolver's query in production, a table in unit tests.
using DnsLookup = std::function<asio::awaitable<dns::DnsAnswer>(std::string name, dns::DnsType type)>;

asio::awaitable<ResolvedNextHop> resolve_next_hop(const policy::NextHop& hop, NextHopOptions options,
                                                  DnsLookup lookup);

// The resolver's query as a DnsLookup, each lookup bounded by `timeout`.
DnsLookup lookup_with(std::shared_ptr<dns::Resolver> resolver, std::chrono::milliseconds timeout);

// For the command line (`explain --resolve`): each hop resolved in turn, on a private io_context
// and resolver. An Error (code `config`) when the resolver cannot be set up.
Result<std::vector<ResolvedNextHop>> resolve_next_hops_blocking(const dns::ResolverConfig& config,
                                                                const std::vector<policy::NextHop>& hops,
                                                                const NextHopOptions& options,
                                                                std::chrono::milliseconds timeout);

}  // namespace mw::smtp::delivery
