#include "support/pki.hpp"

#include <sys/stat.h>

#include <cctype>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

#include "support/process.hpp"

namespace mw::itest {

namespace fs = std::filesystem;

namespace {

std::string openssl(const std::vector<std::string>& args) {
    std::vector<std::string> argv{"openssl"};
    argv.insert(argv.end(), args.begin(), args.end());
    RunResult r = run_capture(argv);
    if (r.status != 0) {
        std::string cmd;
        for (const auto& a : argv) cmd += a + " ";
        throw std::runtime_error("failed: " + cmd + "\n" + r.out + r.err);
    }
    return r.out;
}

// "ab12…" → "AB:12:…"
std::string colon_hex(std::string_view hex) {
    std::string out;
    for (std::size_t i = 0; i < hex.size(); ++i) {
        if (i > 0 && i % 2 == 0) out += ':';
        out += static_cast<char>(std::toupper(static_cast<unsigned char>(hex[i])));
    }
    return out;
}

// Our own configuration file, so that nothing comes from the system openssl.cnf (whose v3_ca section
// would make every self-signed leaf a CA).
std::string config_for(const CertSpec& spec) {
    std::ostringstream c;
    c << "[req]\nprompt = no\ndistinguished_name = dn\nx509_extensions = ext\n"
      << "[dn]\nCN = " << spec.cn << "\n"
      << "[ext]\nsubjectKeyIdentifier = hash\n"
      << "authorityKeyIdentifier = keyid:always\n";
    if (spec.ca) {
        c << "basicConstraints = critical,CA:TRUE\nkeyUsage = critical,keyCertSign,cRLSign\n";
    } else {
        c << "basicConstraints = critical,CA:FALSE\nkeyUsage = critical,digitalSignature,keyEncipherment\n";
        std::string eku;
        if (spec.server_auth) eku += "serverAuth";
        if (spec.client_auth) eku += std::string(eku.empty() ? "" : ",") + "clientAuth";
        if (!eku.empty()) c << "extendedKeyUsage = " << eku << "\n";
    }
    if (!spec.dns_names.empty()) {
        c << "subjectAltName = ";
        for (std::size_t i = 0; i < spec.dns_names.size(); ++i) c << (i ? "," : "") << "DNS:" << spec.dns_names[i];
        c << "\n";
    }
    return c.str();
}

std::string random_serial() {
    std::random_device rd;
    std::ostringstream s;
    s << "0x" << std::hex << (rd() | 0x10000000u) << rd();  // positive, never zero
    return s.str();
}

void write_private(const fs::path& path, const std::string& content) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << content;
    out.close();
    ::chmod(path.c_str(), 0600);
}

std::string pubkey_sha256(const fs::path& cert, const fs::path& work) {
    fs::path pub = work;
    pub += ".pub.pem";
    fs::path der = work;
    der += ".pub.der";
    openssl({"x509", "-in", cert.string(), "-noout", "-pubkey", "-out", pub.string()});
    openssl({"pkey", "-pubin", "-in", pub.string(), "-outform", "DER", "-out", der.string()});
    std::string out = openssl({"dgst", "-sha256", "-r", der.string()});  // "HEX *FILE"
    fs::remove(pub);
    fs::remove(der);
    return colon_hex(out.substr(0, out.find(' ')));
}

}  // namespace

std::string sha256_fingerprint(const fs::path& cert) {
    std::string out = openssl({"x509", "-in", cert.string(), "-noout", "-fingerprint", "-sha256"});
    auto eq = out.find('=');  // "sha256 Fingerprint=AB:CD:…"
    if (eq == std::string::npos) throw std::runtime_error("unexpected openssl output: " + out);
    std::string fp = out.substr(eq + 1);
    while (!fp.empty() && std::isspace(static_cast<unsigned char>(fp.back()))) fp.pop_back();
    return fp;
}

Cert Pki::issue(const std::string& name, const CertSpec& spec, const Cert* issuer) const {
    Cert c{dir_ / (name + ".crt"), dir_ / (name + ".key"), dir_ / (name + ".pem"), {}, {}};
    fs::path conf = dir_ / (name + ".cnf");
    {
        std::ofstream out(conf, std::ios::trunc);
        out << config_for(spec);
    }
    if (spec.rsa)
        openssl({"genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", c.key.string()});
    else
        openssl({"genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", c.key.string()});
    ::chmod(c.key.c_str(), 0600);
    const std::string days = std::to_string(spec.days);
    if (!issuer) {
        openssl({"req", "-x509", "-new", "-config", conf.string(), "-key", c.key.string(), "-days", days,
                 "-set_serial", random_serial(), "-out", c.cert.string()});
    } else {
        fs::path csr = dir_ / (name + ".csr");
        openssl({"req", "-new", "-config", conf.string(), "-key", c.key.string(), "-out", csr.string()});
        openssl({"x509", "-req", "-in", csr.string(), "-CA", issuer->cert.string(), "-CAkey",
                 issuer->key.string(), "-set_serial", random_serial(), "-days", days, "-extfile", conf.string(),
                 "-extensions", "ext", "-out", c.cert.string()});
        fs::remove(csr);
    }
    write_private(c.pem, read_file(c.cert) + read_file(c.key));
    c.sha256 = sha256_fingerprint(c.cert);
    c.pubkey_sha256 = pubkey_sha256(c.cert, dir_ / name);
    return c;
}

namespace {

// Designated initializers would trip GCC's -Wmissing-field-initializers; these read as well.
CertSpec ca_spec(const std::string& cn) {
    CertSpec spec;
    spec.cn = cn;
    spec.ca = true;
    return spec;
}

CertSpec leaf_spec(const std::string& cn, std::vector<std::string> dns_names, bool server_auth, bool client_auth) {
    CertSpec spec;
    spec.cn = cn;
    spec.dns_names = std::move(dns_names);
    spec.server_auth = server_auth;
    spec.client_auth = client_auth;
    return spec;
}

}  // namespace

Pki::Pki(fs::path dir) : dir_(std::move(dir)) {
    fs::create_directories(dir_);
    ca_ = issue("test-ca", ca_spec("Test CA"));
    server_ = issue("server", leaf_spec("mx.example.com", {"mx.example.com"}, true, true), &ca_);
    partner_ca_ = issue("partner-ca", ca_spec("Partner CA"));
    partner_client_ =
        issue("partner-client", leaf_spec("mail.partner.example", {"mail.partner.example"}, false, true), &partner_ca_);
    untrusted_client_ = issue("untrusted-client", leaf_spec("mail.partner.example", {}, false, true));
    pinned_ = issue("pinned", leaf_spec("mx.other.example", {"mx.other.example"}, true, true));
}

}  // namespace mw::itest
