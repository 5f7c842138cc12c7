// The rule loader: [[transport_rule]] conditions and actions, and the smart-host routing check.
#define BOOST_TEST_MODULE loader_transport
#include <boost/test/unit_test.hpp>

#include <algorithm>

#include "test_support.hpp"

using namespace mw;
using namespace mw::policy;
using mw::test::TempDir;

namespace {

const char* const org = "[organization]\nhostname = \"mx.example.com\"\n";

std::string errors_of(const LoadResult& r) {
    std::string out;
    for (const auto& d : r.diagnostics) out += d.str() + "\n";
    return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(transport_rules) {
    TempDir dir("loader");
    auto rs = test::load_ok(dir, std::string(org) + R"(
[[transport_rule]]
name = "Tag external mail"
priority = 10
if = { from_scope = "outside", header_matches = { Subject = "(?i)invoice" } }
except = { from = ["@trusted.example"] }
then = { prepend_subject = "[EXTERNAL] ", add_header = { X-External = "yes" }, stop = true }
[[transport_rule]]
name = "Big"
if = { size_over = "10MB", to_scope = "inside", authenticated = false, tls = true, domain_secure = false }
then = { tempfail = true }
[[transport_rule]]
name = "Everything"
if = { to = ["any"], subject_contains = "lottery", subject_matches = ["^spam", "win"], header_contains = { X-Spam = ["yes", "maybe"], List-Id = "x" } }
then = { reject = "550 5.7.1 No thanks", set_header = { X-A = "1" }, remove_header = ["X-B", "X-C"], add_bcc = "audit@example.com", redirect_to = ["a@example.com", "b@example.com"], quarantine = true }
[[transport_rule]]
name = "Discard"
priority = 10
if = { size_over = 1000 }
then = { discard = true, tempfail = false, remove_header = "X-D" }
[[transport_rule]]
name = "Custom tempfail"
priority = -1
if = { from = ["file-less@example.com"] }
then = { tempfail = "452 4.3.1 Try later" }
)");
    const auto& t = rs->transport_rules;
    BOOST_TEST_REQUIRE(t.size() == 5u);
    // Sorted by priority, ties in file order.
    BOOST_TEST(t[0].name == "Custom tempfail");
    BOOST_TEST(t[1].name == "Big");
    BOOST_TEST(t[2].name == "Everything");
    BOOST_TEST(t[3].name == "Tag external mail");
    BOOST_TEST(t[4].name == "Discard");
    BOOST_TEST(t[0].then.tempfail->code == 452);
    BOOST_TEST(t[1].then.tempfail->code == 451);
    BOOST_TEST(t[1].then.tempfail->status == "4.7.1");
    BOOST_TEST(t[1].then.tempfail->text == "Message deferred by rule Big");
    BOOST_TEST(*t[1].if_.size_over == 10'000'000u);
    BOOST_TEST((*t[1].if_.to_scope == Scope::inside));
    BOOST_TEST(*t[1].if_.authenticated == false);
    BOOST_TEST(*t[1].if_.tls == true);
    BOOST_TEST(*t[1].if_.domain_secure == false);
    const auto& e = t[2];
    BOOST_TEST(e.if_.subject_contains->size() == 1u);
    BOOST_TEST(e.if_.subject_matches->size() == 2u);
    BOOST_TEST_REQUIRE(e.if_.header_contains.size() == 2u);
    auto xspam = std::find_if(e.if_.header_contains.begin(), e.if_.header_contains.end(),
                              [](const HeaderText& h) { return h.header == "X-Spam"; });
    BOOST_TEST_REQUIRE((xspam != e.if_.header_contains.end()));
    BOOST_TEST(xspam->texts.size() == 2u);
    BOOST_TEST(e.then.reject->code == 550);
    BOOST_TEST(e.then.set_header.at(0).name == "X-A");
    BOOST_TEST(e.then.remove_header.size() == 2u);
    BOOST_TEST(e.then.add_bcc.at(0).str() == "audit@example.com");
    BOOST_TEST(e.then.redirect_to.size() == 2u);
    BOOST_TEST(e.then.quarantine);
    BOOST_TEST(!e.except.has_value());
    const auto& tag = t[3];
    BOOST_TEST((*tag.if_.from_scope == Scope::outside));
    BOOST_TEST_REQUIRE(tag.if_.header_matches.size() == 1u);
    BOOST_TEST(tag.if_.header_matches[0].header == "Subject");
    BOOST_TEST(tag.if_.header_matches[0].pattern.regex.pattern() == "(?i)invoice");
    BOOST_TEST(tag.except->from->at(0).str() == "@trusted.example");
    BOOST_TEST(*tag.then.prepend_subject == "[EXTERNAL] ");
    BOOST_TEST(tag.then.add_header.at(0).name == "X-External");
    BOOST_TEST(tag.then.add_header.at(0).value == "yes");
    BOOST_TEST(tag.then.stop);
    BOOST_TEST(!tag.if_.empty());
    BOOST_TEST(RuleCondition{}.empty());
    BOOST_TEST(t[4].then.discard);
    BOOST_TEST(!t[4].then.tempfail.has_value());
    BOOST_TEST(t[4].then.remove_header.at(0) == "X-D");
}

BOOST_AUTO_TEST_CASE(routing_check_follows_most_specific_space) {
    TempDir dir("loader");
    // The weak smart host only wins "*", while bank.example has its own MX-routed connector: fine.
    auto ok = test::load(dir, std::string(org) + R"(
[[tls_required]]
domain = "bank.example"
[[send_connector]]
name = "Relay"
address_spaces = ["*"]
smart_hosts = ["relay.example.net"]
[[send_connector]]
name = "Bank"
address_spaces = ["bank.example"]
cost = 50
)");
    BOOST_TEST(ok.ok(), errors_of(ok));
    // An equally specific, cheaper weak connector would win: refused.
    auto bad = test::load(dir, std::string(org) + R"(
[[tls_required]]
domain = "*.bank.example"
level = "verify"
[[send_connector]]
name = "Relay"
address_spaces = ["x.bank.example"]
smart_hosts = ["relay.example.net"]
tls = "encryption-only"
)");
    BOOST_TEST_REQUIRE(!bad.ok());
    BOOST_TEST(bad.diagnostics.at(0).message.starts_with("send connector 'Relay' routes mail for '*.bank.example'"));
}
