// Relay control for `mailwarden export sendmail`. Both MTA and milter must agree before mail is
// relayed: Sendmail's check_rcpt refuses what it does not relay for (and, as long as no FEATURE
// loosens it, looks through user%other@ourdomain), mailwarden refuses what its rules do not grant.
#include "sendmail/sendmail_relay.hpp"

#include <algorithm>
#include <cstdio>
#include <set>

#include "sendmail/sendmail_text.hpp"

namespace mw::sendmail {

namespace {

using namespace mw::policy;
using namespace sendmail_text;
using comment_text::join;

// The rights an unauthenticated session has on `c` without a partner certificate: anonymous, and
// servers where the connector is external-authoritative (engine_common.cpp assign_groups).
Rights unauthenticated_rights(const ReceiveConnector& c) {
    auto listed = [&](PermissionGroup g) {
        return std::find(c.permission_groups.begin(), c.permission_groups.end(), g) != c.permission_groups.end();
    };
    Rights r = 0;
    if (listed(PermissionGroup::anonymous)) r |= default_rights(PermissionGroup::anonymous);
    if (c.has(AuthMechanism::external_authoritative) && listed(PermissionGroup::servers))
        r |= default_rights(PermissionGroup::servers);
    return static_cast<Rights>((r | c.grant) & ~c.deny);
}

Rights partner_rights(const ReceiveConnector& c) {
    bool listed = std::find(c.permission_groups.begin(), c.permission_groups.end(), PermissionGroup::partners) !=
                  c.permission_groups.end();
    Rights r = listed ? default_rights(PermissionGroup::partners) : 0;
    return static_cast<Rights>((unauthenticated_rights(c) | r | c.grant) & ~c.deny);
}

// Relaying needs both: MAIL without submit is refused before any recipient.
bool relays(Rights r) {
    Rights both = bit(Right::submit) | bit(Right::accept_any_recipient);
    return (r & both) == both;
}

// Access-map To: entries rather than RELAY_DOMAIN: class R also lets every client whose host name
// is under one of its domains relay anywhere (proto.m4 Relay_ok: `$* $=R` on {client_name}), and
// then Sendmail's own relay refusal would be gone for them. A To: entry only lets Sendmail take mail
// addressed to the domain (Rcpt_ok, and ParseRecipient for user%other@domain).
std::string domains_part(const Ruleset& rules) {
    std::vector<std::string> written, wildcards;
    std::string lines;
    for (const auto& d : rules.accepted_domains) {
        if (d.domain.subdomains) wildcards.push_back(d.domain.str());
        if (std::find(written.begin(), written.end(), d.domain.domain) != written.end()) continue;
        written.push_back(d.domain.domain);
        lines += line("To:" + d.domain.domain + " RELAY");
    }
    if (written.empty()) return comment("No accepted domains: no access-map To: entries.");
    std::string about =
        "Relaying to the accepted domains, for /etc/mail/access (FEATURE(`access_db')); then run makemap hash "
        "/etc/mail/access < /etc/mail/access. Until these lines are there Sendmail refuses mail for domains not in "
        "/etc/mail/local-host-names. To:D RELAY lets Sendmail take mail addressed to D from any client, and nothing "
        "more. Do not list the accepted domains in class R (/etc/mail/relay-domains) instead: a domain there also "
        "lets every client whose host name is under it relay anywhere. Sendmail looks up To: with the recipient's "
        "domain and then with each parent domain in turn, so each line also covers D's subdomains, which "
        "mailwarden still refuses (554 5.7.1) unless they are accepted domains too; with "
        "FEATURE(`relay_hosts_only') it looks up the recipient's domain alone, and a line covers D alone. Where the "
        "mail goes is Sendmail's routing: list the domains Sendmail delivers itself in /etc/mail/local-host-names "
        "and route the others with mailertable.";
    if (!wildcards.empty())
        about += " " + join(wildcards) + (wildcards.size() == 1 ? " is" : " are") +
                 " written To:D without \"*.\": Sendmail then also relays to D itself, which mailwarden still "
                 "refuses unless it is an accepted domain too. With FEATURE(`relay_hosts_only') such a line covers "
                 "D alone and every subdomain needs a line of its own; a key To:.D (subdomains only) matches only "
                 "with FEATURE(`lookupdotdomain') and never with relay_hosts_only.";
    return comment(about) + lines;
}

std::string address_relay_part(const Ruleset& rules) {
    std::string out, entries, notes;
    std::vector<std::string> grantors, everyone, partners;
    std::set<std::string> keys_seen;
    for (const auto& c : rules.receive_connectors) {
        if (!relays(unauthenticated_rights(c))) {
            if (relays(partner_rights(c))) partners.push_back(c.name);
            continue;
        }
        std::vector<std::string> ranges;
        for (const auto& n : c.remote) {
            ranges.push_back(n.to_string());
            auto k = sendmail_connect_keys(n);
            if (n.prefix == 0) {
                everyone.push_back(c.name + " (" + n.to_string() + ")");
                continue;
            }
            if (!k.note.empty()) notes += comment(k.note);
            for (const auto& key : k.keys)
                if (keys_seen.insert(key).second) entries += line("Connect:" + key + " RELAY");
        }
        grantors.push_back(c.name + " (" + join(ranges) + ")");
    }
    if (!grantors.empty()) {
        out += comment("Relaying by client address: receive connectors " + join(grantors) +
                       " grant accept-any-recipient to unauthenticated clients. Sendmail refuses to relay for them "
                       "until /etc/mail/access (FEATURE(`access_db')) holds these lines; then run makemap hash "
                       "/etc/mail/access < /etc/mail/access. The access map holds for every daemon: mailwarden "
                       "still refuses relaying on connectors that do not grant it. Sendmail relays for 127.0.0.1 "
                       "and ::1 by itself.");
        out += entries + notes;
    }
    return out + named_notes({
        {&everyone, "warning: ", " grants relaying to every address. No access-map entry is written for it: "
                                 "Sendmail keeps refusing to relay for unauthenticated clients there. An open relay "
                                 "is never exported."},
        {&partners, "Receive connectors ", " grant relaying to domain-security partners: Sendmail does not know "
                                           "them and refuses to relay for them unless access-map "
                                           "CERTISSUER:/CERTSUBJECT: RELAY entries name their certificates (see "
                                           "Sendmail's cf/README)."},
    });
}

std::string hex_group(unsigned v) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%x", v);
    return buf;
}

}  // namespace

ConnectKeys sendmail_connect_keys(const IpNetwork& network, std::size_t max_keys) {
    ConnectKeys out;
    const bool v4 = network.address.v4;
    const int unit = v4 ? 8 : 16;                    // bits per key component
    const int offset = v4 ? 12 : 0;                  // first byte of the address in `bytes`
    const int prefix = network.prefix;
    if (prefix == 0) {
        out.note = network.to_string() + " is every address: Sendmail has no access-map key for it.";
        return out;
    }
    const int boundary = (prefix + unit - 1) / unit * unit;
    const int components = boundary / unit;
    const std::size_t count = std::size_t{1} << (boundary - prefix);
    auto component = [&](int i) -> unsigned {
        const auto& b = network.address.bytes;
        return v4 ? b[static_cast<std::size_t>(offset + i)]
                  : static_cast<unsigned>(b[static_cast<std::size_t>(2 * i)] << 8 | b[static_cast<std::size_t>(2 * i + 1)]);
    };
    auto key = [&](unsigned last) {
        std::string k = v4 ? "" : "IPv6:";
        for (int i = 0; i < components; ++i) {
            unsigned v = i == components - 1 ? last : component(i);
            if (i) k += v4 ? "." : ":";
            k += v4 ? std::to_string(v) : hex_group(v);
        }
        return k;
    };
    const unsigned first = component(components - 1);
    if (count > 1) {
        std::string what = v4 ? "whole octets" : "whole 16-bit groups";
        out.note = network.to_string() + " does not end on a boundary of " + what + ", which is how Sendmail matches "
                   "client addresses: it takes the " + std::to_string(count) + " entries " + key(first) + " to " +
                   key(first + static_cast<unsigned>(count) - 1) + (count > max_keys ? ", not written out here." : ".");
        if (count > max_keys) return out;
    }
    for (std::size_t i = 0; i < count; ++i) out.keys.push_back(key(first + static_cast<unsigned>(i)));
    return out;
}

// Relaying stays Sendmail's to refuse as well: no FEATURE that opens relaying, and no class R
// domain, is ever exported.
constexpr const char* relay_note =
    "Relaying stays Sendmail's to refuse as well, so no FEATURE that opens relaying, and no class R domain, is "
    "ever exported: Sendmail relays only to the accepted domains (access-map To: entries) and for the clients "
    "it trusts (authenticated, or listed RELAY by address in the access map), and its relay check looks through "
    "user%other@ourdomain itself. mailwarden then refuses, recipient by recipient, what its rules do not grant "
    "(554 5.7.1).";

std::string sendmail_relay_section(const Ruleset& rules) {
    return comment(relay_note) + domains_part(rules) + address_relay_part(rules);
}

}  // namespace mw::sendmail
