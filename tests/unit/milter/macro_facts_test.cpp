// Milter macros -> facts, per MTA: a certificate counts as verified only as each MTA says so.
#define BOOST_TEST_MODULE macro_facts
#include <boost/test/unit_test.hpp>

#include <map>

#include "milter/macro_facts.hpp"

using namespace mw;
using namespace mw::milter;

namespace {
MacroLookup from(std::map<std::string, std::string> m) {
    return [m](const char* name) -> std::optional<std::string> {
        auto it = m.find(name);
        if (it == m.end()) return std::nullopt;
        return it->second;
    };
}
const std::string fp = "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89";
}  // namespace

BOOST_AUTO_TEST_CASE(identifies_the_mta_from_v) {
    BOOST_TEST((identify_mta(std::string("Postfix 3.7.11")) == policy::Mta::postfix));
    BOOST_TEST((identify_mta(std::string("8.17.1")) == policy::Mta::sendmail));
    BOOST_TEST((identify_mta(std::string("SomethingElse 1.0")) == policy::Mta::standalone));
    BOOST_TEST((identify_mta(std::nullopt) == policy::Mta::standalone));
}

BOOST_AUTO_TEST_CASE(no_tls_version_means_no_tls) {
    BOOST_TEST(!tls_facts(policy::Mta::postfix, from({{"{cert_subject}", "x"}})));
}

BOOST_AUTO_TEST_CASE(postfix_cert_subject_means_verified_cn) {
    auto t = tls_facts(policy::Mta::postfix, from({{"{tls_version}", "TLSv1.3"}, {"{cipher}", "TLS_AES_256_GCM_SHA384"},
                                                  {"{cert_subject}", "mail.partner.example"}, {"{cert_issuer}", "Partner CA"}}));
    BOOST_REQUIRE(t && t->cert);
    BOOST_TEST(t->version == "TLSv1.3");
    BOOST_TEST(t->cipher == "TLS_AES_256_GCM_SHA384");
    BOOST_TEST(t->cert->subject == "mail.partner.example");
    BOOST_TEST(t->cert->issuer == "Partner CA");
    BOOST_TEST(t->cert->verified);
    BOOST_TEST(!t->cert->sha256);
}

BOOST_AUTO_TEST_CASE(postfix_without_cert_subject_has_no_certificate) {
    auto t = tls_facts(policy::Mta::postfix, from({{"{tls_version}", "TLSv1.2"}, {"{verify}", "OK"}}));
    BOOST_REQUIRE(t);
    BOOST_TEST(!t->cert);
}

BOOST_AUTO_TEST_CASE(sendmail_verified_only_with_verify_ok) {
    std::map<std::string, std::string> m = {{"{tls_version}", "TLSv1.3"},
                                            {"{cert_subject}", "/O=Partner+20Org/CN=mail.partner.example"},
                                            {"{cert_issuer}", "/CN=Partner+20CA"},
                                            {"{cert_fp}", fp}};
    for (const char* verdict : {"FAIL", "TEMP", "PROTOCOL", "SOFTWARE", "TRUSTED"}) {
        m["{verify}"] = verdict;
        auto t = tls_facts(policy::Mta::sendmail, from(m));
        BOOST_REQUIRE(t && t->cert);
        BOOST_TEST(!t->cert->verified, verdict);
        BOOST_TEST(t->cert->subject == "/O=Partner Org/CN=mail.partner.example");
        BOOST_TEST(*t->cert->sha256 == "ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789");
    }
    m["{verify}"] = "OK";
    auto ok = tls_facts(policy::Mta::sendmail, from(m));
    BOOST_REQUIRE(ok && ok->cert);
    BOOST_TEST(ok->cert->verified);
    BOOST_TEST(ok->cert->issuer == "/CN=Partner CA");
    BOOST_TEST(ok->cert->sha256.has_value());
    for (const char* none : {"NO", "NONE", "NOT"}) {
        m["{verify}"] = none;
        auto t = tls_facts(policy::Mta::sendmail, from(m));
        BOOST_REQUIRE(t);
        BOOST_TEST(!t->cert, none);
    }
}

BOOST_AUTO_TEST_CASE(sendmail_without_verify_is_present_but_unverified) {
    // A subject without {verify} (the macro not listed, or lost): never trusted on its own, but the
    // fingerprint still counts for a Direct Trust pin.
    auto t = tls_facts(policy::Mta::sendmail, from({{"{tls_version}", "TLSv1.3"},
                                                   {"{cert_subject}", "/CN=mail.partner.example"},
                                                   {"{cert_issuer}", "/O=Partner+20CA"},
                                                   {"{cert_fp}", fp}}));
    BOOST_REQUIRE(t && t->cert);
    BOOST_TEST(!t->cert->verified);
    BOOST_TEST(t->cert->subject == "/CN=mail.partner.example");
    BOOST_TEST(t->cert->issuer == "/O=Partner CA");
    BOOST_REQUIRE(t->cert->sha256);
    BOOST_TEST(*t->cert->sha256 == "ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789");
}

BOOST_AUTO_TEST_CASE(unknown_mta_certificate_is_ignored) {
    auto t = tls_facts(policy::Mta::standalone,
                       from({{"{tls_version}", "TLSv1.3"}, {"{cert_subject}", "x"}, {"{verify}", "OK"}}));
    BOOST_REQUIRE(t);
    BOOST_TEST(!t->cert);
}

