// What a DNS lookup answered, as the outbound delivery and the reverse-DNS check use it: the
// records of one type, already decoded from their wire form, and how far to trust them.
//
// Security follows DNSSEC (RFC 4033 section 5): `secure` is a validated chain from the trust anchor,
// `insecure` a provably unsigned zone (or no trust anchor at all), `bogus` a failed validation. A
// bogus answer is never used as data: the caller treats it as a temporary failure, so a forged or
// broken signature delays mail and never redirects it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mw::smtp::dns {

enum class DnsType : std::uint16_t { a = 1, ns = 2, cname = 5, ptr = 12, mx = 15, txt = 16, aaaa = 28, tlsa = 52 };
std::string_view to_string(DnsType type);  // "MX", "TLSA", ...

enum class DnsSecurity { insecure, secure, bogus };
std::string_view to_string(DnsSecurity security);  // "insecure", "secure", "bogus"

enum class DnsStatus {
    answer,          // records of the type asked for
    nodata,          // the name exists, without records of that type
    nxdomain,        // the name does not exist
    server_failure,  // SERVFAIL, REFUSED, a malformed record...: the destination's DNS is broken
    timeout,         // no answer before the deadline
    resolver_error,  // our own resolver could not run the query (libunbound error)
};
std::string_view to_string(DnsStatus status);  // "answer", "nodata", "nxdomain", ...

struct MxRecord {
    std::uint16_t preference = 0;
    std::string host;  // lower case, without the trailing dot; "" for the root (a null MX, RFC 7505)
    bool operator==(const MxRecord&) const = default;
};

struct TlsaRecord {
    std::uint8_t usage = 0;
    std::uint8_t selector = 0;
    std::uint8_t matching_type = 0;
    std::vector<unsigned char> data;
    bool operator==(const TlsaRecord&) const = default;
};

struct DnsAnswer {
    std::string name;  // the name asked for
    DnsType type = DnsType::a;
    DnsStatus status = DnsStatus::resolver_error;
    DnsSecurity security = DnsSecurity::insecure;
    int rcode = 0;
    std::uint32_t ttl = 0;
    std::string canonical_name;  // after CNAMEs, without the trailing dot; empty when none was given
    std::string detail;          // why it failed: libunbound's error, why_bogus, the malformed record

    std::vector<std::string> addresses;  // A, AAAA: text form ("192.0.2.1", "2001:db8::1")
    std::vector<MxRecord> mx;
    std::vector<std::string> names;  // PTR, NS, CNAME: lower case, without the trailing dot
    std::vector<std::string> texts;  // TXT: each record's strings joined (RFC 7208 section 3.3)
    std::vector<TlsaRecord> tlsa;

    // True when the answer can be acted on: records, a proven absence or a name that does not
    // exist, and not bogus. Everything else is a temporary failure for the caller.
    bool usable() const;
    // "SERVFAIL", "timed out", "DNSSEC validation failed: ...": the reason a log or a DSN gives.
    std::string failure() const;
};

// Decoders of one record's RDATA in wire form (RFC 1035 section 3.3; names uncompressed, as
// libunbound hands them out). False when the data does not have the shape of its type.
bool decode_name(std::string_view wire, std::string& out, std::size_t* consumed = nullptr);
bool decode_rdata(DnsType type, std::string_view rdata, DnsAnswer& into);

}  // namespace mw::smtp::dns
