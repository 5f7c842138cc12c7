#include "smtp/dns/dns_answer.hpp"

#include <arpa/inet.h>

#include <cctype>
#include <cstdio>

namespace mw::smtp::dns {

std::string_view to_string(DnsType type) {
    switch (type) {
        case DnsType::a: return "A";
        case DnsType::ns: return "NS";
        case DnsType::cname: return "CNAME";
        case DnsType::ptr: return "PTR";
        case DnsType::mx: return "MX";
        case DnsType::txt: return "TXT";
        case DnsType::aaaa: return "AAAA";
        case DnsType::tlsa: return "TLSA";
    }
    return "?";
}

std::string_view to_string(DnsSecurity security) {
    switch (security) {
        case DnsSecurity::secure: return "secure";
        case DnsSecurity::bogus: return "bogus";
        case DnsSecurity::insecure: break;
    }
    return "insecure";
}

std::string_view to_string(DnsStatus status) {
    switch (status) {
        case DnsStatus::answer: return "answer";
        case DnsStatus::nodata: return "nodata";
        case DnsStatus::nxdomain: return "nxdomain";
        case DnsStatus::server_failure: return "server_failure";
        case DnsStatus::timeout: return "timeout";
        case DnsStatus::resolver_error: break;
    }
    return "resolver_error";
}

bool DnsAnswer::usable() const {
    if (security == DnsSecurity::bogus) return false;
    return status == DnsStatus::answer || status == DnsStatus::nodata || status == DnsStatus::nxdomain;
}

namespace {

std::string rcode_name(int rcode) {
    switch (rcode) {
        case 1: return "FORMERR";
        case 2: return "SERVFAIL";
        case 4: return "NOTIMP";
        case 5: return "REFUSED";
        default: return "rcode " + std::to_string(rcode);
    }
}

}  // namespace

std::string DnsAnswer::failure() const {
    if (security == DnsSecurity::bogus)
        return "DNSSEC validation failed" + (detail.empty() ? std::string() : ": " + detail);
    switch (status) {
        case DnsStatus::answer: return "";
        case DnsStatus::nodata: return "no " + std::string(to_string(type)) + " record";
        case DnsStatus::nxdomain: return "host not found";
        case DnsStatus::timeout: return "DNS lookup timed out";
        case DnsStatus::resolver_error: return "local resolver error" + (detail.empty() ? std::string() : ": " + detail);
        case DnsStatus::server_failure: break;
    }
    if (!detail.empty()) return detail;
    return rcode_name(rcode);
}

bool decode_name(std::string_view wire, std::string& out, std::size_t* consumed) {
    out.clear();
    std::size_t at = 0;
    for (;;) {
        if (at >= wire.size()) return false;
        auto length = static_cast<unsigned char>(wire[at++]);
        if (length == 0) break;
        if (length > 63 || at + length > wire.size()) return false;  // compression has no place here
        if (!out.empty()) out += '.';
        for (char c : wire.substr(at, length)) {
            auto u = static_cast<unsigned char>(c);
            // A label may hold any octet; the ones a host name cannot hold are shown as \DDD (RFC 4343
            // section 2.1) so that no record can smuggle a dot, a space or a line break into a name.
            if (std::isalnum(u) || u == '-' || u == '_' || u == '*') {
                out += static_cast<char>(std::tolower(u));
            } else {
                char buf[5];
                std::snprintf(buf, sizeof buf, "\\%03u", u);
                out += buf;
            }
        }
        at += length;
    }
    if (out.size() > 253 * 4) return false;
    if (consumed) *consumed = at;
    return true;
}

bool decode_rdata(DnsType type, std::string_view rdata, DnsAnswer& into) {
    auto byte = [&](std::size_t i) { return static_cast<unsigned char>(rdata[i]); };
    switch (type) {
        case DnsType::a:
        case DnsType::aaaa: {
            const bool v4 = type == DnsType::a;
            if (rdata.size() != (v4 ? 4u : 16u)) return false;
            char text[INET6_ADDRSTRLEN];
            if (!::inet_ntop(v4 ? AF_INET : AF_INET6, rdata.data(), text, sizeof text)) return false;
            into.addresses.emplace_back(text);
            return true;
        }
        case DnsType::mx: {
            if (rdata.size() < 3) return false;
            MxRecord mx;
            mx.preference = static_cast<std::uint16_t>(byte(0) << 8 | byte(1));
            std::size_t used = 0;
            if (!decode_name(rdata.substr(2), mx.host, &used) || used + 2 != rdata.size()) return false;
            into.mx.push_back(std::move(mx));
            return true;
        }
        case DnsType::ns:
        case DnsType::cname:
        case DnsType::ptr: {
            std::string name;
            std::size_t used = 0;
            if (!decode_name(rdata, name, &used) || used != rdata.size()) return false;
            into.names.push_back(std::move(name));
            return true;
        }
        case DnsType::txt: {
            std::string text;
            std::size_t at = 0;
            if (rdata.empty()) return false;
            while (at < rdata.size()) {
                std::size_t length = byte(at++);
                if (at + length > rdata.size()) return false;
                text.append(rdata.substr(at, length));
                at += length;
            }
            into.texts.push_back(std::move(text));
            return true;
        }
        case DnsType::tlsa: {
            if (rdata.size() < 3) return false;
            TlsaRecord t;
            t.usage = byte(0);
            t.selector = byte(1);
            t.matching_type = byte(2);
            t.data.assign(rdata.begin() + 3, rdata.end());
            into.tlsa.push_back(std::move(t));
            return true;
        }
    }
    return false;
}

}  // namespace mw::smtp::dns
