// mailertable and TLS_Rcpt lines for `mailwarden export sendmail`. Sendmail matches both by domain
// as mailwarden's address spaces do, with one difference each side: a mailertable key ".d" is d's
// subdomains only (as "*.d"), but a TLS_Rcpt: entry for d also covers every subdomain of d, and has
// no subdomains-only form (without FEATURE(lookupdotdomain)).
#include "sendmail/sendmail_outbound.hpp"

#include <algorithm>
#include <map>

#include "sendmail/sendmail_text.hpp"

namespace mw::sendmail {

namespace {

using namespace mw::policy;
using namespace sendmail_text;
using comment_text::join;

// The send connector that routes each address space: the lowest cost, the first in file order on a
// tie (the engine's choice among connectors with the same address space).
std::vector<std::pair<AddressSpace, const SendConnector*>> routes(const Ruleset& rules) {
    std::vector<std::pair<AddressSpace, const SendConnector*>> out;
    for (const auto& c : rules.send_connectors) {
        for (const auto& a : c.address_spaces) {
            auto it = std::find_if(out.begin(), out.end(), [&](const auto& r) { return r.first.str() == a.str(); });
            if (it == out.end()) out.emplace_back(a, &c);
            else if (c.cost < it->second->cost) it->second = &c;
        }
    }
    return out;
}

// Does `outer` cover every domain of `inner` (and is it less specific)?
bool covers(const AddressSpace& outer, const AddressSpace& inner) {
    if (outer.all) return !inner.all;
    if (inner.all || !outer.domain.subdomains) return false;
    const std::string& parent = outer.domain.domain;
    const std::string& d = inner.domain.domain;
    return d.size() > parent.size() && d.compare(d.size() - parent.size(), parent.size(), parent) == 0 &&
           d[d.size() - parent.size() - 1] == '.';
}

std::string mailertable_key(const AddressSpace& a) {
    if (a.all) return ".";
    return a.domain.subdomains ? "." + a.domain.domain : a.domain.domain;
}

std::string mailertable_host(const SmartHost& h) {
    if (!h.bracketed) return h.host;
    return h.host.find(':') != std::string::npos ? "[IPv6:" + h.host + "]" : "[" + h.host + "]";
}

std::string mailertable_part(const Ruleset& rules) {
    auto all = routes(rules);
    std::string lines, notes;
    for (const auto& [space, c] : all) {
        if (!c->smart_hosts.empty()) {
            const SmartHost& h = c->smart_hosts.front();
            lines += line(mailertable_key(space) + " esmtp:" + mailertable_host(h));
            if (h.port != 25)
                notes += comment("Send connector " + c->name + " uses port " + std::to_string(h.port) + " of " + h.str() +
                                 ", which a mailertable entry cannot carry: define a mailer whose A= is \"TCP $h " +
                                 std::to_string(h.port) + "\" and use it instead of esmtp there.");
            if (c->smart_hosts.size() > 1)
                notes += comment("Send connector " + c->name + " lists more smart hosts; the line above uses the first, "
                                 "as mailwarden's transport answer does.");
            continue;
        }
        if (c->port != 25)
            notes += comment("Send connector " + c->name + " delivers " + space.str() + " by MX on port " +
                             std::to_string(c->port) + ", which a mailertable entry cannot carry: define a mailer whose "
                             "A= is \"TCP $h " + std::to_string(c->port) + "\" and route " + space.str() +
                             " to it in mailertable.");
        // An MX-routed address space under a smart-hosted, less specific one: Sendmail would send it to
        // the smart host unless mailertable routes it by MX itself.
        bool shadowed = std::any_of(all.begin(), all.end(), [&, &sp = space](const auto& other) {
            return !other.second->smart_hosts.empty() && covers(other.first, sp);
        });
        if (!shadowed) continue;
        if (space.domain.subdomains)
            notes += comment("warning: send connector " + c->name + " routes " + space.str() +
                             " by MX, but a mailertable line above sends it to a smart host, and mailertable cannot "
                             "say \"each subdomain's own MX\". List those subdomains one by one as \"SUB esmtp:SUB\".");
        else
            lines += line(space.domain.domain + " esmtp:" + space.domain.domain);
    }
    if (lines.empty() && notes.empty())
        return comment("No send connector uses smart hosts: Sendmail routes by MX, as the send connectors do; "
                       "mailertable needs no lines from mailwarden.");
    return comment("Routes of the send connectors, for /etc/mail/mailertable (FEATURE(`mailertable')); then run "
                   "makemap hash /etc/mail/mailertable < /etc/mail/mailertable. \".d\" is d's subdomains, \".\" "
                   "every other domain. Domains Sendmail delivers itself (local-host-names) never reach mailertable.") +
           lines + notes;
}

enum class Level { encrypt, verify };

struct Requirement {
    Level level = Level::encrypt;
    int bits = 128;  // ENCR:/VERIFY: take a cipher strength; [[tls_required]] min_cipher_bits raises it
    std::vector<std::string> why;
};

void require(std::map<std::string, Requirement>& out, const DomainPattern& d, Level level, const std::string& why) {
    auto [it, fresh] = out.try_emplace(d.domain);
    if (fresh || level > it->second.level) it->second.level = level;
    it->second.why.push_back(why);
}

std::string tls_part(const Ruleset& rules, const DaemonConfig& config) {
    std::map<std::string, Requirement> reqs;
    std::vector<std::string> wildcards, by_name, dane, none, everywhere, versions;
    for (const auto& t : rules.tls_required) {
        if (!t.send) continue;
        Level l = t.level == TlsLevel::encrypt ? Level::encrypt : Level::verify;
        require(reqs, t.domain, l, "tls_required " + t.domain.str());
        Requirement& r = reqs[t.domain.domain];
        r.bits = std::max(r.bits, t.min_cipher_bits);
        if (t.min_tls_version != TlsVersion::any)
            versions.push_back(t.domain.str() + " (" + to_string(t.min_tls_version) + ")");
        if (t.domain.subdomains) wildcards.push_back(t.domain.str());
        if (t.level == TlsLevel::domain) by_name.push_back(t.domain.str());
    }
    const DomainSecurity* ds = rules.domain_security ? &*rules.domain_security : nullptr;
    std::vector<std::string> ds_send;
    if (ds) {
        for (const auto& d : ds->send) {
            require(reqs, d, Level::verify, "domain security " + d.str());
            ds_send.push_back(d.str());
            if (d.subdomains) wildcards.push_back(d.str());
        }
    }
    for (const auto& [space, c] : routes(rules)) {
        auto note = [](std::vector<std::string>& v, const std::string& s) {
            if (std::find(v.begin(), v.end(), s) == v.end()) v.push_back(s);
        };
        if (c->tls == SendTls::none) note(none, c->name);
        if (c->tls == SendTls::none || c->tls == SendTls::opportunistic) continue;
        if (space.all) {
            note(everywhere, c->name + " (" + to_string(c->tls) + ")");
            continue;
        }
        Level l = c->tls == SendTls::encryption_only ? Level::encrypt : Level::verify;
        require(reqs, space.domain, l, "send connector " + c->name);
        if (space.domain.subdomains) wildcards.push_back(space.domain.str());
        if (c->tls == SendTls::domain_validation) by_name.push_back(space.str());
        if (c->tls == SendTls::dane) note(dane, c->name);
    }
    std::string out;
    if (!reqs.empty()) {
        out += comment("Outbound TLS requirements, for /etc/mail/access (FEATURE(`access_db')), then makemap: "
                       "ENCR:128 is encryption with a cipher of at least 128 bits, VERIFY:128 also a server "
                       "certificate Sendmail verifies against confCACERT (and confCACERT_PATH); a tls_required "
                       "min_cipher_bits above 128 raises the number. Sendmail defers mail to these domains rather "
                       "than send it without. Each TLS_Rcpt: entry also covers the domain's subdomains.");
        for (const auto& [domain, r] : reqs)
            out += line("TLS_Rcpt:" + domain + " " + (r.level == Level::verify ? "VERIFY:" : "ENCR:") +
                        std::to_string(r.bits));
        out += named_notes({
            {&wildcards, "", ": Sendmail has no subdomains-only form, so the entry for the parent domain covers the "
                             "parent itself too."},
            {&by_name, "For ", " mailwarden also wants the certificate to name the domain; VERIFY does not check "
                               "names (an entry may add +CN:NAME for one exact name)."},
            {&dane, "Send connectors ", " use dane: written as VERIFY:128; Sendmail's own DANE support is not set "
                                        "up by this export."},
            {&versions, "tls_required ", " requires a TLS version: Sendmail cannot require one per domain. "
                                         "define(`confCLIENT_SSL_OPTIONS', `+SSL_OP_NO_TLSv1 +SSL_OP_NO_TLSv1_1') "
                                         "refuses the versions before TLSv1.2 (add +SSL_OP_NO_TLSv1_2 for TLSv1.3) "
                                         "for every server Sendmail sends to."},
        });
        out += comment("Sendmail verifies servers against the same confCACERT it verifies clients with: a server "
                       "whose CA is not in it fails VERIFY. Adding that CA also makes client certificates it signed "
                       "count as verified for domain security.");
    }
    return out + named_notes({
        {&everywhere, "Send connectors ", " route every other domain with TLS required: a \"TLS_Rcpt:\" entry "
                                          "without a domain would require it for every recipient, including domains "
                                          "other connectors route without; add it if that is what you want."},
        {&none, "Send connectors ", " have tls = \"none\": Sendmail still uses STARTTLS where a server offers it "
                                    "(Try_TLS:SERVER NO in the access map turns that off per server)."},
        {&ds_send, "Domain Security send (", ") is mutual TLS: partners ask for our client certificate. Set "
                                             "define(`confCLIENT_CERT', `" + config.smtp.tls_cert.string() +
                                             "') and define(`confCLIENT_KEY', `" + config.smtp.tls_key.string() +
                                             "') (the certificate must name our domain)."},
    });
}

std::string credentials_part(const Ruleset& rules) {
    std::string out;
    for (const auto& c : rules.send_connectors) {
        if (!c.auth || c.smart_hosts.empty()) continue;
        out += comment("Send connector " + c.name + " authenticates to its smart host as " + c.auth->user +
                       ". Sendmail takes credentials from its authinfo map (FEATURE(`authinfo'), /etc/mail/authinfo, "
                       "mode 600, then makemap): a line AuthInfo:" + c.smart_hosts.front().host + " \"U:" +
                       c.auth->user + "\" \"P:PASSWORD\" \"M:PLAIN LOGIN\", the password being the first line of " +
                       c.auth->password_file + ". The export does not copy it.");
    }
    return out;
}

}  // namespace

std::string sendmail_outbound_section(const Ruleset& rules, const DaemonConfig& config) {
    return mailertable_part(rules) + tls_part(rules, config) + credentials_part(rules);
}

}  // namespace mw::sendmail
