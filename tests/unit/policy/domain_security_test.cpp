// Domain Security and Direct Trust (README "Domain security, TLS required", Replies 454 4.7.5): every failure
// reason, the name rules (SAN before CN, wildcard, hosts under the domain), pins, Postfix mode.
#define BOOST_TEST_MODULE engine_domain_security
#include "engine_fixture.hpp"

#include "policy/engine_internal.hpp"

using namespace mw::test;
namespace detail = mw::policy::detail;

namespace {

const std::string pin_hex = "ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789";

std::string rules_toml(const std::string& on_failure = "tempfail") {
    return std::string(base_rules) + internet_connector + R"(
[domain_security]
receive = ["partner.example", "*.group.example"]
direct_trust = [ { domain = "pinned.example", sha256 = "ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89" } ]
on_failure = ")" + on_failure + R"("

[[tls_required]]
domain = "verify.example"
direction = "receive"
level = "verify"

[[tls_required]]
domain = "name.example"
direction = "both"
level = "domain"

[[tls_required]]
domain = "strong.example"
direction = "receive"
min_cipher_bits = 128
min_tls_version = "TLSv1.2"
)";
}

PeerCertificate cert(std::string subject, bool verified, std::vector<std::string> sans = {},
                     std::optional<std::string> sha256 = std::nullopt) {
    PeerCertificate c;
    c.subject = std::move(subject);
    c.issuer = "CN=Test CA";
    c.sans = std::move(sans);
    c.sha256 = std::move(sha256);
    c.verified = verified;
    return c;
}

struct Fixture {
    TempDir dir{"engine-ds"};
    std::shared_ptr<const Ruleset> rules = load_ok(dir, rules_toml());

    Session session(std::optional<PeerCertificate> c, bool tls = true, Mta mta = Mta::standalone) {
        auto f = standalone_facts("192.0.2.1", 25, "198.51.100.7");
        if (mta != Mta::standalone) {
            f.mta = mta;
            f.daemon_name = "internet";
        }
        if (tls) {
            f.tls = tls13();
            f.tls->cert = std::move(c);
        }
        return Session(rules, f);
    }
};

const std::string failure = "454 4.7.5 <a@partner.example>: Certificate validation failure for partner.example";

}  // namespace

BOOST_AUTO_TEST_CASE(cn_extraction) {
    BOOST_TEST(detail::certificate_cn("CN=mx.partner.example,O=Partner,C=DE") == "mx.partner.example");
    BOOST_TEST(detail::certificate_cn("/C=DE/O=Partner/CN=mx.partner.example") == "mx.partner.example");
    BOOST_TEST(detail::certificate_cn("mx.partner.example") == "mx.partner.example");
    BOOST_TEST(detail::certificate_cn("O=Partner\\, Inc., cn = mx.partner.example") == "mx.partner.example");
    BOOST_TEST(detail::certificate_cn("O=Partner,C=DE") == "");
    BOOST_TEST(detail::certificate_cn("") == "");
}

BOOST_AUTO_TEST_CASE(name_rules) {
    BOOST_TEST(detail::certificate_name_matches("partner.example", "partner.example"));
    BOOST_TEST(detail::certificate_name_matches("*.partner.example", "partner.example"));
    BOOST_TEST(detail::certificate_name_matches("mx.partner.example", "partner.example"));
    BOOST_TEST(detail::certificate_name_matches("a.b.partner.example", "partner.example"));
    BOOST_TEST(detail::certificate_name_matches("MX.Partner.Example.", "partner.example"));
    BOOST_TEST(!detail::certificate_name_matches("evilpartner.example", "partner.example"));
    BOOST_TEST(!detail::certificate_name_matches("partner.example.evil", "partner.example"));
    BOOST_TEST(!detail::certificate_name_matches("*.example", "partner.example"));
    BOOST_TEST(!detail::certificate_name_matches("*.mx.partner.example", "partner.example"));
    BOOST_TEST(!detail::certificate_name_matches("..partner.example", "partner.example"));
    BOOST_TEST(!detail::certificate_name_matches("", "partner.example"));
    // Only host names (LDH labels, optionally "*." first) are names: no suffix match on anything else.
    BOOST_TEST(!detail::certificate_name_matches("evil.example/CN=mx.partner.example", "partner.example"));
    BOOST_TEST(!detail::certificate_name_matches("evil example.partner.example", "partner.example"));
    BOOST_TEST(!detail::certificate_name_matches("x=y.partner.example", "partner.example"));
    BOOST_TEST(!detail::certificate_name_matches("a_b.partner.example", "partner.example"));
    BOOST_TEST(!detail::certificate_name_matches("*.", "partner.example"));
    BOOST_TEST(detail::certificate_name_matches("mx-1.partner.example", "partner.example"));
}

BOOST_FIXTURE_TEST_SUITE(sessions, Fixture)

BOOST_AUTO_TEST_CASE(verified_cn_match_makes_a_partner) {
    auto s = session(cert("CN=mx.partner.example,O=Partner", true));
    BOOST_TEST(reply(s.mail_from("a@partner.example")) == "250 2.1.0 Ok", trace_text(s.mail.trace));
    BOOST_TEST(s.mail.context.domain_secure.value_or("") == "partner.example");
    BOOST_TEST(detail::has_group(s.mail.context, PermissionGroup::partners));
    BOOST_TEST(trace_has(s.mail.trace, "subject CN 'mx.partner.example' matches partner.example"),
               trace_text(s.mail.trace));
}

BOOST_AUTO_TEST_CASE(no_tls) {
    auto s = session(std::nullopt, false);
    BOOST_TEST(reply(s.mail_from("a@partner.example")) == failure);
    BOOST_TEST(s.mail.verdict.action == Action::tempfail);
    BOOST_TEST(s.mail.verdict.rule == "domain security receive partner.example");
    BOOST_TEST(trace_has(s.mail.trace, "no TLS"), trace_text(s.mail.trace));
}

BOOST_AUTO_TEST_CASE(no_certificate) {
    auto s = session(std::nullopt);
    BOOST_TEST(reply(s.mail_from("a@partner.example")) == failure);
    BOOST_TEST(trace_has(s.mail.trace, "no client certificate"), trace_text(s.mail.trace));
}

BOOST_AUTO_TEST_CASE(unverified_certificate) {
    auto s = session(cert("CN=mx.partner.example", false));
    BOOST_TEST(reply(s.mail_from("a@partner.example")) == failure);
    BOOST_TEST(trace_has(s.mail.trace, "certificate not verified"), trace_text(s.mail.trace));
    BOOST_TEST(!s.mail.context.domain_secure);
}

BOOST_AUTO_TEST_CASE(name_mismatch) {
    auto s = session(cert("CN=mx.other.example", true));
    BOOST_TEST(reply(s.mail_from("a@partner.example")) == failure);
    BOOST_TEST(trace_has(s.mail.trace, "no subject CN matches partner.example"), trace_text(s.mail.trace));
}

BOOST_AUTO_TEST_CASE(cn_that_is_not_a_host_name_never_matches) {
    // RFC 4514 reads the whole string as one CN; its suffix must not make it a partner's name.
    auto s = session(cert("CN=evil.example/CN=mx.partner.example", true));
    BOOST_TEST(reply(s.mail_from("a@partner.example")) == failure, trace_text(s.mail.trace));
    BOOST_TEST(!s.mail.context.domain_secure);
}

BOOST_AUTO_TEST_CASE(san_match_and_sans_hide_the_cn) {
    auto san = session(cert("CN=unrelated.example", true, {"mail.other.example", "smtp.partner.example"}));
    BOOST_TEST(reply(san.mail_from("a@partner.example")) == "250 2.1.0 Ok", trace_text(san.mail.trace));
    BOOST_TEST(trace_has(san.mail.trace, "subjectAltName 'smtp.partner.example'"), trace_text(san.mail.trace));
    // RFC 6125: with SANs present, a matching CN does not count.
    auto cn_only = session(cert("CN=mx.partner.example", true, {"mail.other.example"}));
    BOOST_TEST(reply(cn_only.mail_from("a@partner.example")) == failure);
}

BOOST_AUTO_TEST_CASE(wildcard_and_exact_and_host_under_domain) {
    for (const char* name : {"*.partner.example", "partner.example", "a.b.partner.example"}) {
        BOOST_TEST_CONTEXT(name) {
            auto s = session(cert(std::string("/O=Partner/CN=") + name, true));
            BOOST_TEST(reply(s.mail_from("a@partner.example")) == "250 2.1.0 Ok");
        }
    }
    // A domain matched by a wildcard receive entry is checked against the sender's own domain.
    auto sub = session(cert("mx.east.group.example", true));
    BOOST_TEST(reply(sub.mail_from("a@east.group.example")) == "250 2.1.0 Ok");
    BOOST_TEST(sub.mail.context.domain_secure.value_or("") == "east.group.example");
    BOOST_TEST(session(cert("mx.west.group.example", true)).mail_from("a@east.group.example").code == 454);
}

BOOST_AUTO_TEST_CASE(pin_match_and_mismatch) {
    auto good = session(cert("CN=self-signed", false, {}, pin_hex));
    BOOST_TEST(reply(good.mail_from("a@pinned.example")) == "250 2.1.0 Ok", trace_text(good.mail.trace));
    BOOST_TEST(good.mail.context.domain_secure.value_or("") == "pinned.example");
    BOOST_TEST(detail::has_group(good.mail.context, PermissionGroup::partners));
    // Fingerprints compare case-insensitively, colons optional.
    std::string lower_colons;
    for (std::size_t i = 0; i < pin_hex.size(); i += 2)
        lower_colons += (i ? ":" : "") + mw::policy::lower(pin_hex.substr(i, 2));
    BOOST_TEST(session(cert("x", false, {}, lower_colons)).mail_from("a@pinned.example").code == 250);

    // A pin is the only trust for its domain: a CA-verified certificate whose name matches but whose
    // key is not the pinned one fails (README "Replies": "pin mismatch").
    auto bad = session(cert("CN=mx.pinned.example", true, {"mx.pinned.example"}, std::string(64, '0')));
    BOOST_TEST(reply(bad.mail_from("a@pinned.example")) ==
               "454 4.7.5 <a@pinned.example>: Certificate validation failure for pinned.example");
    BOOST_TEST(bad.mail.verdict.rule == "direct trust pinned.example");
    BOOST_TEST(trace_has(bad.mail.trace, "Direct Trust pin mismatch"), trace_text(bad.mail.trace));
    // No fingerprint known at all (a milter front door) in standalone evaluation: fails too, even
    // for a verified certificate naming the domain.
    auto none = session(cert("CN=mx.pinned.example", true));
    BOOST_TEST(none.mail_from("a@pinned.example").code == 454, trace_text(none.mail.trace));
    BOOST_TEST(!none.mail.context.domain_secure);
}

BOOST_AUTO_TEST_CASE(tls_level_verify_and_domain) {
    // verify: a verified certificate of any name; no partner.
    auto v = session(cert("CN=whatever.example", true));
    BOOST_TEST(reply(v.mail_from("a@verify.example")) == "250 2.1.0 Ok");
    BOOST_TEST(!v.mail.context.domain_secure);
    BOOST_TEST(!detail::has_group(v.mail.context, PermissionGroup::partners));
    BOOST_TEST(reply(session(cert("CN=whatever.example", false)).mail_from("a@verify.example")) ==
               "454 4.7.5 <a@verify.example>: Certificate validation failure for verify.example");
    // domain: the name must match too.
    BOOST_TEST(session(cert("CN=mx.name.example", true)).mail_from("a@name.example").code == 250);
    auto mismatch = session(cert("CN=mx.other.example", true));
    BOOST_TEST(reply(mismatch.mail_from("a@name.example")) ==
               "454 4.7.5 <a@name.example>: Certificate validation failure for name.example");
    BOOST_TEST(mismatch.mail.verdict.rule == "tls_required name.example level domain");
}

// Exchange 2003's "Require 128-bit encryption", and a protocol floor: at MAIL, with the reason.
BOOST_AUTO_TEST_CASE(a_session_below_the_domains_tls_floors_is_refused_at_mail) {
    BOOST_TEST(session(std::nullopt).mail_from("a@strong.example").code == 250);  // TLSv1.3, 256 bits
    auto old = session(std::nullopt);
    old.facts.tls->version = "TLSv1.1";
    BOOST_TEST(reply(old.mail_from("a@strong.example")) ==
               "530 5.7.0 Stronger encryption required: TLS version TLSv1.1 is older than the "
               "TLSv1.2 that strong.example requires");
    auto weak = session(std::nullopt);
    weak.facts.tls->cipher_bits = 112;
    BOOST_TEST(reply(weak.mail_from("a@strong.example")) ==
               "530 5.7.0 Stronger encryption required: TLS cipher of 112 bits is weaker than the "
               "128 bits that strong.example requires");
    BOOST_TEST(weak.mail.verdict.rule == "tls_required strong.example");
    // Strength not known: TLS 1.3 has at least 128 bits; before it, the mail is asked to wait.
    auto unknown13 = session(std::nullopt);
    unknown13.facts.tls->cipher_bits = 0;
    BOOST_TEST(unknown13.mail_from("a@strong.example").code == 250);
    auto unknown12 = session(std::nullopt);
    unknown12.facts.tls->version = "TLSv1.2";
    unknown12.facts.tls->cipher_bits = 0;
    BOOST_TEST(reply(unknown12.mail_from("a@strong.example")) == "454 4.7.0 TLS cipher strength not known; try again later");
    BOOST_TEST(reply(session(std::nullopt, false).mail_from("a@strong.example")) ==
               "530 5.7.0 Must issue a STARTTLS command first");
}

BOOST_AUTO_TEST_CASE(other_domains_need_no_certificate) {
    BOOST_TEST(session(std::nullopt, false).mail_from("a@far.example").code == 250);
    BOOST_TEST(session(std::nullopt, false).mail_from("<>").code == 250);
}

BOOST_AUTO_TEST_CASE(postfix_mode_checks_pins_at_rcpt) {
    // At MAIL Postfix hands the milter no fingerprint: the check waits for RCPT.
    auto s = session(cert("self-signed", false, {}, pin_hex), true, Mta::postfix);
    BOOST_TEST(reply(s.mail_from("a@pinned.example")) == "250 2.1.0 Ok", trace_text(s.mail.trace));
    BOOST_TEST(s.mail.context.certificate_check_at_rcpt);
    BOOST_TEST(!s.mail.context.domain_secure);
    BOOST_TEST(!detail::has_group(s.mail.context, PermissionGroup::partners));
    auto& r = s.rcpt_to("bob@example.com");
    BOOST_TEST(reply(r.verdict) == "250 2.1.5 Ok", trace_text(r.trace));
    BOOST_TEST(!s.mail.context.certificate_check_at_rcpt);
    BOOST_TEST(s.mail.context.domain_secure.value_or("") == "pinned.example");
    BOOST_TEST(detail::has_group(s.mail.context, PermissionGroup::partners));
    BOOST_TEST((s.mail.context.rights & bit(Right::submit)) != 0);
    auto m = s.message();
    BOOST_TEST(has_edit(m, HeaderEdit::Kind::add, "X-Mailwarden-AuthAs", "Partner"), edits_text(m));
}

BOOST_AUTO_TEST_CASE(postfix_mode_pin_mismatch_fails_each_recipient) {
    auto s = session(cert("self-signed", false, {}, std::string(64, 'F')), true, Mta::postfix);
    BOOST_TEST(s.mail_from("a@pinned.example").code == 250);
    const std::string fail = "454 4.7.5 <a@pinned.example>: Certificate validation failure for pinned.example";
    BOOST_TEST(reply(s.rcpt_to("bob@example.com").verdict) == fail);
    BOOST_TEST(reply(s.rcpt_to("carol@example.com").verdict) == fail);
    BOOST_TEST(s.mail.context.certificate_check_at_rcpt);
    // Sendmail passes what it knows at MAIL: checked there.
    auto sm = session(cert("self-signed", false, {}, std::string(64, 'F')), true, Mta::sendmail);
    BOOST_TEST(reply(sm.mail_from("a@pinned.example")) == fail);
}

BOOST_AUTO_TEST_CASE(postfix_mode_verified_name_without_fingerprint_fails_at_rcpt) {
    // The policy service hands no fingerprint: the pin cannot be checked, the CA's word is not enough.
    auto s = session(cert("mx.pinned.example", true), true, Mta::postfix);
    BOOST_TEST(s.mail_from("a@pinned.example").code == 250);
    const auto& r = s.rcpt_to("bob@example.com");
    BOOST_TEST(reply(r.verdict) == "454 4.7.5 <a@pinned.example>: Certificate validation failure for pinned.example",
               trace_text(r.trace));
    BOOST_TEST(!s.mail.context.domain_secure);
}

BOOST_AUTO_TEST_CASE(postfix_mode_checks_domain_security_without_pin_at_mail) {
    auto s = session(cert("mx.partner.example", true), true, Mta::postfix);
    BOOST_TEST(s.mail_from("a@partner.example").code == 250);
    BOOST_TEST(!s.mail.context.certificate_check_at_rcpt);
    BOOST_TEST(s.mail.context.domain_secure.value_or("") == "partner.example");
}

BOOST_AUTO_TEST_SUITE_END()

// A connector that takes partners only: in Postfix mode the pinned partner is judged at MAIL as the
// partner it claims to be (RCPT refuses everything unless the pin then passes).
struct PartnersOnly {
    TempDir dir{"engine-ds-partners"};
    std::shared_ptr<const Ruleset> rules = load_ok(dir, std::string(base_rules) + R"(
[[receive_connector]]
name = "Partners"
bind = ["0.0.0.0:25"]
daemon_name = "internet"
permission_groups = ["partners"]
grant = ["accept-any-sender"]

[domain_security]
direct_trust = [ { domain = "pinned.example", sha256 = ")" + pin_hex + R"(" } ]
)");
    Session session(std::optional<std::string> fingerprint) {
        auto f = standalone_facts("192.0.2.1", 25, "198.51.100.7");
        f.mta = Mta::postfix;
        f.daemon_name = "internet";
        f.tls = tls13();
        f.tls->cert = cert("self-signed", false, {}, std::move(fingerprint));
        return Session(rules, f);
    }
};

BOOST_FIXTURE_TEST_CASE(postfix_mode_pinned_partner_on_partners_only_connector, PartnersOnly) {
    auto s = session(pin_hex);
    BOOST_TEST(reply(s.mail_from("a@pinned.example")) == "250 2.1.0 Ok", trace_text(s.mail.trace));
    BOOST_TEST(trace_has(s.mail.trace, "partners tentatively"), trace_text(s.mail.trace));
    // The context leaves MAIL with what was earned so far.
    BOOST_TEST(!detail::has_group(s.mail.context, PermissionGroup::partners));
    const auto& r = s.rcpt_to("bob@example.com");
    BOOST_TEST(reply(r.verdict) == "250 2.1.5 Ok", trace_text(r.trace));
    BOOST_TEST(detail::has_group(s.mail.context, PermissionGroup::partners));
    BOOST_TEST((s.mail.context.rights & bit(Right::submit)) != 0);
    BOOST_TEST(s.mail.context.domain_secure.value_or("") == "pinned.example");
}

BOOST_FIXTURE_TEST_CASE(postfix_mode_partners_only_pin_failure_refuses_and_drops_partners, PartnersOnly) {
    auto s = session(std::string(64, 'F'));
    BOOST_TEST(s.mail_from("a@pinned.example").code == 250, trace_text(s.mail.trace));
    const std::string fail = "454 4.7.5 <a@pinned.example>: Certificate validation failure for pinned.example";
    BOOST_TEST(reply(s.rcpt_to("bob@example.com").verdict) == fail);
    BOOST_TEST(reply(s.rcpt_to("carol@example.com").verdict) == fail);
    BOOST_TEST(!detail::has_group(s.mail.context, PermissionGroup::partners));
    BOOST_TEST(s.mail.context.groups.empty());
    BOOST_TEST((s.mail.context.rights & bit(Right::submit)) == 0);
    BOOST_TEST(!s.mail.context.domain_secure);
    BOOST_TEST(s.accepted.empty());
    // Another sender domain on the same connector is no partner at all: 530 as before.
    auto other = session(pin_hex);
    BOOST_TEST(reply(other.mail_from("a@far.example")) == "530 5.7.0 Authentication required");
}

BOOST_AUTO_TEST_CASE(on_failure_reject) {
    TempDir dir("engine-ds-reject");
    auto rules = load_ok(dir, rules_toml("reject"));
    auto f = standalone_facts("192.0.2.1", 25, "198.51.100.7");
    f.tls = tls13();
    Session s(rules, f);
    BOOST_TEST(reply(s.mail_from("a@partner.example")) ==
               "550 5.7.1 <a@partner.example>: Certificate validation failure for partner.example");
    BOOST_TEST(s.mail.verdict.action == Action::reject);
    BOOST_TEST(s.mail_from("a@pinned.example").code == 550);
    // A tls_required level alone is not Domain Security: it stays temporary.
    BOOST_TEST(s.mail_from("a@verify.example").code == 454);
}
