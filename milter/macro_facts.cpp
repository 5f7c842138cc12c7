#include <charconv>
#include "milter/macro_facts.hpp"

#include "core/fingerprint.hpp"
#include "core/xtext.hpp"

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

std::optional<policy::TlsFacts> tls_facts(policy::Mta mta, const MacroLookup& macro) {
    auto version = macro("{tls_version}");
    if (!version || version->empty()) return std::nullopt;
    policy::TlsFacts tls;
    tls.version = *version;
    tls.cipher = macro("{cipher}").value_or("");
    // {cipher_bits}: Postfix and Sendmail both send the cipher's strength ("256").
    if (auto bits = macro("{cipher_bits}")) {
        int n = 0;
        auto [end, ec] = std::from_chars(bits->data(), bits->data() + bits->size(), n);
        if (ec == std::errc() && end == bits->data() + bits->size() && n > 0) tls.cipher_bits = n;
    }
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
                cert.subject = xtext::decode_lenient(subject.value_or(""));
                cert.issuer = xtext::decode_lenient(issuer.value_or(""));
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
