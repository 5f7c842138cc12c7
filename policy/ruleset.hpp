// The compiled, immutable rules: what `load_rules` builds from rules/*.toml and what every front
// door evaluates against. Plain data; all matching lives in the engine (engine.hpp).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/smtp_reply.hpp"
#include "policy/address.hpp"
#include "policy/ip.hpp"
#include "policy/list_store.hpp"
#include "policy/message_content.hpp"
#include "policy/pattern_set.hpp"
#include "policy/regex.hpp"

namespace mw::policy {

struct SourceLoc {
    std::string file;  // as the admin would type it: path relative to the rules directory
    int line = 0;
    int col = 0;
};

// A domain in a rule: "example.com" (exactly it) or "*.example.com" (proper subdomains only).
struct DomainPattern {
    std::string domain;     // normalized, without the "*."
    bool subdomains = false;
    std::string str() const { return subdomains ? "*." + domain : domain; }
    bool matches(std::string_view normalized_domain) const {
        return domain_matches(normalized_domain, domain, subdomains);
    }
};

// An entry of `senders`, `recipients`, `members`, `from`, `to`, ...
struct AddressPattern {
    enum class Kind { address, domain, subdomains, group, list, inside, outside, any };
    Kind kind = Kind::any;
    std::string value;                        // address "u@d", domain "d", group or list name
    std::shared_ptr<const ListStore> list;    // Kind::list: the compiled list
    SourceLoc loc;
    std::string str() const;                  // as written: "@d", "@*.d", "group:x", "file:x", ...
};

enum class DomainType { authoritative, internal_relay, external_relay };

struct AcceptedDomain {
    DomainPattern domain;
    DomainType type = DomainType::authoritative;
    std::optional<std::vector<AddressPattern>> recipients;  // authoritative only
    SourceLoc loc;
};

struct Group {
    std::string name;
    std::vector<AddressPattern> members;
    SourceLoc loc;
};

enum class Right : std::uint8_t {
    submit,
    accept_any_recipient,
    accept_any_sender,
    accept_authoritative_domain_sender,
    accept_organization_headers,
    accept_routing_headers,
    bypass_anti_spam,
    etrn,  // ETRN (RFC 1985): start delivery of the mail queued for a domain (README "ETRN")
};
inline constexpr int right_count = 8;
using Rights = std::uint8_t;  // bit set, bit (int)Right
constexpr Rights bit(Right r) { return static_cast<Rights>(1u << static_cast<int>(r)); }
constexpr Rights all_rights = (1u << right_count) - 1;
const char* to_string(Right r);  // "accept-any-recipient"
std::optional<Right> right_from_string(std::string_view s);

enum class PermissionGroup : std::uint8_t { anonymous, users, partners, servers };
const char* to_string(PermissionGroup g);
std::optional<PermissionGroup> permission_group_from_string(std::string_view s);
Rights default_rights(PermissionGroup g);  // Exchange's defaults, minus anonymous ADS (README "Receive connectors and permission groups")

enum class AuthMechanism : std::uint8_t { tls, basic, basic_require_tls, external_authoritative };

// What the standalone server does with the client's address at connect (Exchange 2003's "Perform
// reverse DNS lookup on incoming messages"): nothing, a PTR lookup confirmed by A/AAAA (the name goes
// into Received: and the log), or that lookup with unconfirmed clients refused at MAIL.
enum class ReverseDns { off, lookup, require };

struct ReceiveConnector {
    std::string name;
    std::vector<Endpoint> bind;
    std::optional<std::string> daemon_name;
    std::vector<IpNetwork> remote;  // default: 0.0.0.0/0 and ::/0
    bool remote_explicit = false;
    std::vector<AuthMechanism> auth;
    bool require_tls = false;
    std::vector<PermissionGroup> permission_groups;
    Rights grant = 0;
    Rights deny = 0;
    std::uint64_t max_message_size = 35ull * 1000 * 1000;  // "35MB": SI units as Exchange writes them
    std::uint32_t max_recipients = 200;
    std::uint32_t max_connections = 5000;
    std::uint32_t max_connections_per_source = 20;
    std::uint32_t connection_timeout_s = 600;
    std::uint32_t inactivity_timeout_s = 300;
    std::uint32_t tarpit_s = 0;
    ReverseDns reverse_dns = ReverseDns::lookup;
    SourceLoc loc;
    bool has(AuthMechanism m) const;
};

struct DirectTrustPin {
    std::string domain;  // normalized
    std::string sha256;  // 64 upper-case hex digits, no colons
    SourceLoc loc;
};

enum class OnFailure { tempfail, reject };

struct DomainSecurity {
    std::vector<DomainPattern> receive;
    std::vector<DomainPattern> send;
    std::string ca_file;  // resolved against the rules directory; "" if not given
    std::vector<DirectTrustPin> direct_trust;
    OnFailure on_failure = OnFailure::tempfail;
    SourceLoc loc;
};

enum class TlsLevel { encrypt, verify, domain };

// TLS protocol versions in order, for `min_tls_version` (0: no minimum, or not known).
enum class TlsVersion { any = 0, tls1_0, tls1_1, tls1_2, tls1_3 };
TlsVersion tls_version_of(std::string_view text);  // "TLSv1.2" -> tls1_2; anything else: any
const char* to_string(TlsVersion v);                // "TLSv1.2"; "any"

struct TlsRequired {
    DomainPattern domain;
    bool receive = true;
    bool send = true;
    TlsLevel level = TlsLevel::encrypt;
    // Exchange 2003's "Require 128-bit encryption", and a protocol floor: a session weaker than
    // these counts as no TLS at all, in both directions.
    int min_cipher_bits = 0;
    TlsVersion min_tls_version = TlsVersion::any;
    SourceLoc loc;
};

// A send connector's `tls` setting, as the rules write it (README "Send connectors").
enum class SendTls { none, opportunistic, encryption_only, certificate_validation, domain_validation, dane };
const char* to_string(SendTls t);

struct SmartHost {
    std::string host;        // name or address, without brackets
    bool bracketed = false;  // "[host]": no MX lookup
    std::uint16_t port = 25;
    std::string str() const; // "[192.0.2.1]:25" or "relay.example.net" / "relay.example.net:587"
    bool operator==(const SmartHost&) const = default;
};
// The syntax of `smart_hosts`, which is also Postfix's next-hop syntax: "[192.0.2.1]:25",
// "[2001:db8::1]", "relay.example.net", "relay.example.net:587". Host names come back normalized
// (lower case, A-labels) and addresses canonical, so equal hosts compare equal; the port defaults
// to 25. nullopt when malformed.
std::optional<SmartHost> parse_smart_host(std::string_view text);

struct AddressSpace {
    bool all = false;        // "*"
    DomainPattern domain;    // otherwise
    std::string str() const { return all ? "*" : domain.str(); }
};

struct SmartHostAuth {
    std::string user;
    std::string password_file;  // resolved against the rules directory
};

// A send connector's `etrn`: Exchange 2003's "Request ETRN/TURN": we ask `server` to deliver the
// mail it holds for `domains` (RFC 1985), on a schedule and whenever mail leaves through the connector.
struct EtrnRequest {
    SmartHost server;                  // an address literal: "[192.0.2.1]:25" (no name is looked up)
    std::vector<std::string> domains;  // normalized, one ETRN each
    std::uint32_t every_s = 0;         // 0: only at start and when mail leaves through the connector
};

struct SendConnector {
    std::string name;
    std::vector<AddressSpace> address_spaces;
    int cost = 10;
    std::vector<SmartHost> smart_hosts;
    // The port of MX deliveries, and of smart hosts written without one (Exchange's send
    // connector port): 25 unless an ISP takes mail elsewhere.
    std::uint16_t port = 25;
    SendTls tls = SendTls::opportunistic;
    std::string tls_domain;
    std::optional<SmartHostAuth> auth;
    // Exchange's "Queue mail for remote triggered delivery": mail routed here waits for an ETRN for
    // its domain (or `queue flush DOMAIN`) instead of being sent.
    bool hold = false;
    std::optional<EtrnRequest> etrn;
    SourceLoc loc;
};

// An SMTP reply as written in a rule ("550 5.7.1 text"), validated at load (parse_smtp_reply): code
// class 2/4/5 and the enhanced status class equal to the code class.
using ReplyTemplate = SmtpReply;

struct DeliveryRestriction {
    std::string name;
    std::vector<AddressPattern> senders;
    std::vector<AddressPattern> recipients;
    bool allow = false;  // action = "allow": an exception; "reject" otherwise
    std::optional<ReplyTemplate> reply;
    SourceLoc loc;
};

struct RecipientPolicy {
    std::vector<AddressPattern> recipients;
    std::optional<std::vector<AddressPattern>> accept_only_from;
    std::vector<AddressPattern> reject_from;
    bool require_authenticated_sender = false;
    SourceLoc loc;
};

struct SendAs {
    std::string login;
    std::vector<AddressPattern> addresses;
    SourceLoc loc;
};

enum class Scope { inside, outside, any };

// A pattern of a rule condition, and its id in the field's PatternSet (ContentPatterns below): the
// message stage scans each field once for all rules and looks the id up (policy/pattern_set.hpp).
struct RulePattern {
    Regex regex;
    PatternId id = 0;
};
struct RuleText {
    std::string text;  // case-insensitive substring
    PatternId id = 0;
};

struct HeaderRegex {
    std::string header;   // field name, compared case-insensitively
    std::size_t set = 0;  // index of the name's PatternSet in ContentPatterns::headers
    RulePattern pattern;
};
struct HeaderText {
    std::string header;
    std::size_t set = 0;
    std::vector<RuleText> texts;  // any of them, case-insensitive substring
};

// Every present condition must hold (AND); within a list, any entry (OR).
struct RuleCondition {
    std::optional<std::vector<AddressPattern>> from;
    std::optional<std::vector<AddressPattern>> to;       // any accepted recipient
    std::optional<Scope> from_scope;
    std::optional<Scope> to_scope;                        // any accepted recipient
    std::optional<std::vector<RuleText>> subject_contains;  // case-insensitive substrings
    std::optional<std::vector<RulePattern>> subject_matches;
    std::vector<HeaderText> header_contains;
    std::vector<HeaderRegex> header_matches;
    std::optional<std::vector<RulePattern>> any_header_matches;  // "Name: value" of every field
    std::optional<std::uint64_t> size_over;
    std::optional<bool> authenticated;
    std::optional<bool> tls;
    std::optional<bool> domain_secure;
    // Content conditions: they need the MIME inspection (message_content.hpp).
    std::optional<std::vector<RulePattern>> attachment_name_matches;  // any file name of any part
    std::optional<std::vector<std::string>> attachment_extension;      // lower case, without the dot
    std::optional<std::vector<RulePattern>> attachment_type;           // type globs, compiled anchored
    std::optional<std::uint64_t> attachment_size_over;                 // decoded size of any attachment
    std::optional<std::vector<RuleText>> body_contains;
    std::optional<std::vector<RulePattern>> body_matches;
    std::optional<bool> mime_malformed;
    std::optional<std::size_t> part_count_over;
    bool empty() const;
    bool needs_content() const;  // any content condition
};

// A transport rule's first condition, when it is one field's patterns: the rule cannot match unless
// one of `ids` matched (or could not be decided) in that field's scan. The engine passes over the
// other rules with one look at the scan instead of walking a whole condition: with a thousand
// rules most do not fire, and walking them cost more than scanning the message. Only the condition
// evaluated first (engine_transport_rules.cpp's order) gates, so no field is scanned, and no trace
// line lost, that the full evaluation would not have scanned or written.
struct RuleGate {
    enum class Field : std::uint8_t { none, subject, header, any_header, body, attachment_name, attachment_type };
    Field field = Field::none;  // none: no gate, evaluate the condition
    std::size_t header_set = 0;  // Field::header: index in ContentPatterns::headers
    std::vector<PatternId> ids;
};
RuleGate gate_of(const RuleCondition& c);

struct HeaderField {
    std::string name;
    std::string value;
};

struct RuleActions {
    std::optional<ReplyTemplate> reject;
    std::optional<ReplyTemplate> tempfail;  // `tempfail = true` gives 451 4.7.1
    bool discard = false;
    bool quarantine = false;
    std::vector<HeaderField> add_header;
    std::vector<HeaderField> set_header;
    std::vector<std::string> remove_header;
    std::optional<std::string> prepend_subject;
    std::vector<Address> add_bcc;
    std::vector<Address> redirect_to;
    bool stop = false;
};

struct TransportRule {
    std::string name;
    int priority = 0;
    std::size_t order = 0;  // position in load order, for ties
    RuleCondition if_;
    std::optional<RuleCondition> except;
    RuleActions then;
    SourceLoc loc;
};

struct Organization {
    std::string hostname;
    std::string authserv_id;
    std::vector<std::string> authserv_ids;  // lower-cased
    bool exchange_compatible_headers = false;
    // A bare login (no '@') is LOGIN@login_domain. Set by the loader: the key, else the first
    // authoritative accepted domain that names one domain (a wildcard cannot make an address);
    // empty when there is none, and a bare login then owns only its [[send_as]] entries.
    std::string login_domain;
    SourceLoc loc;
};

// Every pattern of every transport rule, one PatternSet per field, compiled once per load.
struct ContentPatterns {
    PatternSet subject;                                        // subject_contains, subject_matches
    std::vector<PatternSet> headers;                           // header_contains/_matches, one per name
    std::map<std::string, std::size_t, std::less<>> header_index;  // lower-case name -> index in headers
    PatternSet any_header;
    PatternSet body;
    PatternSet attachment_name;
    PatternSet attachment_type;
};

struct Ruleset {
    std::string rules_dir;
    Organization organization;
    std::vector<AcceptedDomain> accepted_domains;
    std::vector<Group> groups;
    std::vector<ReceiveConnector> receive_connectors;
    std::optional<DomainSecurity> domain_security;
    std::vector<TlsRequired> tls_required;
    std::vector<SendConnector> send_connectors;
    std::vector<DeliveryRestriction> delivery_restrictions;
    std::vector<RecipientPolicy> recipient_policies;
    std::vector<SendAs> send_as;
    std::vector<TransportRule> transport_rules;  // sorted by (priority, order)
    std::vector<RuleGate> transport_gates;       // transport_rules[i].if_'s, side by side to stay in cache
    ContentPatterns patterns;
    MimeLimits mime;  // [mime]
    // Some transport rule reads the content (attachments, body, MIME structure): the front doors
    // then keep the body and inspect it (README "Transport rules").
    bool needs_content = false;

    const Group* find_group(std::string_view name) const;
    const ReceiveConnector* find_receive_connector(std::string_view name) const;
    // [domain_security] ca_file, the partners' trust anchors; null when none is set.
    const std::string* domain_security_ca_file() const;
};

}  // namespace mw::policy
