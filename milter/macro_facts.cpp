#include "milter/macro_facts.hpp"

#include <cctype>

namespace mw::milter {

policy::Mta identify_mta(const std::optional<std::string>& v) {
    if (!v) return policy::Mta::standalone;
    if (v->rfind("Postfix", 0) == 0) return policy::Mta::postfix;
    // Sendmail's $v is its bare version number, "8.17.1".
    if (!v->empty() && std::isdigit(static_cast<unsigned char>(v->front())) && v->find('.') != std::string::npos)
        return policy::Mta::sendmail;
    return policy::Mta::standalone;
}

std::string decode_xtext(std::string_view text) {
    auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        return -1;
    };
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '+' && i + 2 < text.size()) {
            int hi = hex(text[i + 1]), lo = hex(text[i + 2]);
            if (hi >= 0 && lo >= 0) {
                out += static_cast<char>(hi * 16 + lo);
                i += 2;
                continue;
            }
        }
        out += text[i];
    }
    return out;
}

std::optional<std::string> normalize_sha256(std::string_view fingerprint) {
    std::string out;
    for (char c : fingerprint) {
        if (c == ':') continue;
        if (!std::isxdigit(static_cast<unsigned char>(c))) return std::nullopt;
        out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    if (out.size() != 64) return std::nullopt;
    return out;
}

std::optional<policy::TlsFacts> tls_facts(policy::Mta mta, const MacroLookup& macro) {
    auto version = macro("{tls_version}");
    if (!version || version->empty()) return std::nullopt;
    policy::TlsFacts tls;
    tls.version = *version;
    tls.cipher = macro("{cipher}").value_or("");
    auto subject = macro("{cert_subject}");
    auto issuer = macro("{cert_issuer}");
    switch (mta) {
        case policy::Mta::postfix:
            // Postfix sends these only for a verified certificate, as the CN alone.
            if (subject && !subject->empty()) {
                policy::PeerCertificate cert;
                cert.subject = *subject;
                cert.issuer = issuer.value_or("");
                cert.verified = true;
                tls.cert = std::move(cert);
            }
            break;
        case policy::Mta::sendmail: {
            auto verify = macro("{verify}");
            auto fp = macro("{cert_fp}");
            bool has_cert = (subject && !subject->empty()) || (fp && !fp->empty());
            // "NO"/"NONE"/"NOT": no certificate. Every other value except OK ("FAIL", "TEMP",
            // "PROTOCOL", "SOFTWARE", "TRUSTED" without a chain check...) is a certificate that
            // is present but not verified.
            if (has_cert && !(verify && (*verify == "NO" || *verify == "NONE" || *verify == "NOT"))) {
                policy::PeerCertificate cert;
                cert.subject = decode_xtext(subject.value_or(""));
                cert.issuer = decode_xtext(issuer.value_or(""));
                cert.verified = verify && *verify == "OK";
                if (fp) cert.sha256 = normalize_sha256(*fp);
                tls.cert = std::move(cert);
            }
            break;
        }
        case policy::Mta::standalone:
            // An unknown milter peer: its certificate claims are not interpreted at all.
            break;
    }
    return tls;
}

}  // namespace mw::milter
