// The rule loader: every table with all its keys and defaults, merging across files, warnings.
#define BOOST_TEST_MODULE loader
#include <boost/test/unit_test.hpp>

#include <algorithm>

#include "test_support.hpp"

using namespace mw;
using namespace mw::policy;
using mw::test::TempDir;

namespace {

const char* const org = "[organization]\nhostname = \"MX.Example.com.\"\n";

std::string errors_of(const LoadResult& r) {
    std::string out;
    for (const auto& d : r.diagnostics) out += d.str() + "\n";
    return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(organization_defaults) {
    TempDir dir("loader");
    auto rs = test::load_ok(dir, org);
    BOOST_TEST(rs->organization.hostname == "mx.example.com");
    BOOST_TEST(rs->organization.authserv_id == "mx.example.com");
    BOOST_TEST(rs->organization.authserv_ids == std::vector<std::string>{"mx.example.com"});
    BOOST_TEST(!rs->organization.exchange_compatible_headers);
    BOOST_TEST(rs->organization.loc.file == "rules.toml");
    BOOST_TEST(rs->organization.loc.line == 1);
}

BOOST_AUTO_TEST_CASE(organization_all_keys) {
    TempDir dir("loader");
    auto rs = test::load_ok(dir, R"([organization]
hostname = "mx1.example.com"
authserv_id = "Example.COM"
authserv_ids = ["mx1.example.com", "MX2.example.com"]
exchange_compatible_headers = true
)");
    BOOST_TEST(rs->organization.authserv_id == "example.com");
    // Our own id is always among the ids the header firewall treats as ours.
    BOOST_TEST((rs->organization.authserv_ids ==
                std::vector<std::string>{"example.com", "mx1.example.com", "mx2.example.com"}));
    BOOST_TEST(rs->organization.exchange_compatible_headers);
}

BOOST_AUTO_TEST_CASE(organization_login_domain) {
    // Default: the first authoritative accepted domain naming one domain, in load order across
    // files; relays and wildcards are passed over (a wildcard cannot make LOGIN@ an address).
    TempDir dir("loader");
    dir.write("rules/00-org.toml", org);
    dir.write("rules/10-relay.toml", "[[accepted_domain]]\ndomain = \"relay.example\"\ntype = \"internal-relay\"\n"
                                     "[[accepted_domain]]\ndomain = \"*.example.com\"\ntype = \"authoritative\"\n");
    dir.write("rules/20-own.toml", "[[accepted_domain]]\ndomain = \"Example.COM\"\ntype = \"authoritative\"\n"
                                   "[[accepted_domain]]\ndomain = \"example.net\"\ntype = \"authoritative\"\n");
    auto r = load_rules({dir.path() / "rules", dir.path() / "state"});
    BOOST_TEST_REQUIRE(r.ok(), errors_of(r));
    BOOST_TEST(r.ruleset->organization.login_domain == "example.com");
    // None at all: bare logins own no address of their own.
    TempDir none("loader");
    BOOST_TEST(test::load_ok(none, org)->organization.login_domain.empty());
    // Given: normalized like any domain; one covered by a wildcard accepted domain is ours too.
    TempDir given("loader");
    auto rs = test::load_ok(given, std::string(org) + "login_domain = \"Staff.Example.COM.\"\n"
                                                      "[[accepted_domain]]\ndomain = \"example.com\"\n"
                                                      "[[accepted_domain]]\ndomain = \"*.example.com\"\n");
    BOOST_TEST(rs->organization.login_domain == "staff.example.com");
}

BOOST_AUTO_TEST_CASE(organization_login_domain_refusals) {
    TempDir dir("loader");
    auto r = test::load(dir, std::string(org) + "login_domain = \"[192.0.2.1]\"\n");
    BOOST_TEST(!r.ok());
    BOOST_TEST(errors_of(r) == "rules.toml:3:16: error: invalid domain '[192.0.2.1]' in 'login_domain': an address "
                               "literal is not a domain\n");
    TempDir typed("loader");
    auto t = test::load(typed, std::string(org) + "login_domain = 7\n");
    BOOST_TEST(!t.ok());
    BOOST_TEST(errors_of(t).find("rules.toml:3:16: error:") == 0u, errors_of(t));
}

BOOST_AUTO_TEST_CASE(accepted_domains_and_groups) {
    TempDir dir("loader");
    dir.write("rules/users.txt", "alice@example.com\n@staff.example.com\n");
    auto rs = test::load_ok(dir, std::string(org) + R"(
[[accepted_domain]]
domain = "Example.COM"
recipients = ["file:users.txt", "bob@Example.com"]
[[accepted_domain]]
domain = "*.example.org"
type = "internal-relay"
[[accepted_domain]]
domain = "relay.example"
type = "external-relay"
[[group]]
name = "staff"
members = ["@staff.example.com", "group:students", "carol@EXAMPLE.com"]
[[group]]
name = "students"
members = ["@*.students.example.com", "inside"]
)");
    BOOST_TEST_REQUIRE(rs->accepted_domains.size() == 3u);
    const auto& d0 = rs->accepted_domains[0];
    BOOST_TEST(d0.domain.domain == "example.com");
    BOOST_TEST(!d0.domain.subdomains);
    BOOST_TEST((d0.type == DomainType::authoritative));
    BOOST_TEST_REQUIRE(d0.recipients.has_value());
    BOOST_TEST_REQUIRE(d0.recipients->size() == 2u);
    BOOST_TEST(((*d0.recipients)[0].kind == AddressPattern::Kind::list));
    BOOST_TEST((*d0.recipients)[0].list != nullptr);
    BOOST_TEST((*d0.recipients)[0].str() == "file:users.txt");
    BOOST_TEST((*d0.recipients)[0].list->database().parent_path() == dir.path() / "state" / "lists");
    BOOST_TEST((*d0.recipients)[1].str() == "bob@example.com");
    BOOST_TEST(rs->accepted_domains[1].domain.str() == "*.example.org");
    BOOST_TEST((rs->accepted_domains[1].type == DomainType::internal_relay));
    BOOST_TEST(!rs->accepted_domains[1].recipients.has_value());
    BOOST_TEST((rs->accepted_domains[2].type == DomainType::external_relay));

    const Group* staff = rs->find_group("staff");
    BOOST_TEST_REQUIRE(staff != nullptr);
    BOOST_TEST_REQUIRE(staff->members.size() == 3u);
    BOOST_TEST(staff->members[0].str() == "@staff.example.com");
    BOOST_TEST((staff->members[1].kind == AddressPattern::Kind::group));
    BOOST_TEST(staff->members[1].value == "students");
    BOOST_TEST(staff->members[1].loc.line == 15);
    const Group* students = rs->find_group("students");
    BOOST_TEST_REQUIRE(students != nullptr);
    BOOST_TEST((students->members[0].kind == AddressPattern::Kind::subdomains));
    BOOST_TEST(students->members[0].value == "students.example.com");
    BOOST_TEST((students->members[1].kind == AddressPattern::Kind::inside));
}

BOOST_AUTO_TEST_CASE(receive_connector_defaults) {
    TempDir dir("loader");
    auto rs = test::load_ok(dir, std::string(org) + "[[receive_connector]]\nname = \"Internet\"\nbind = [\"0.0.0.0:25\"]\n");
    BOOST_TEST_REQUIRE(rs->receive_connectors.size() == 1u);
    const auto& c = rs->receive_connectors[0];
    BOOST_TEST(c.name == "Internet");
    BOOST_TEST(c.bind.size() == 1u);
    BOOST_TEST(!c.daemon_name.has_value());
    BOOST_TEST_REQUIRE(c.remote.size() == 2u);
    BOOST_TEST(c.remote[0].prefix == 0);
    BOOST_TEST(c.remote[1].prefix == 0);
    BOOST_TEST(!c.remote_explicit);
    BOOST_TEST((c.auth == std::vector<AuthMechanism>{AuthMechanism::tls}));
    BOOST_TEST(!c.require_tls);
    BOOST_TEST((c.permission_groups == std::vector<PermissionGroup>{PermissionGroup::anonymous}));
    BOOST_TEST(c.grant == 0);
    BOOST_TEST(c.deny == 0);
    BOOST_TEST(c.max_message_size == 35'000'000u);
    BOOST_TEST(c.max_recipients == 200u);
    BOOST_TEST(c.max_connections == 5000u);
    BOOST_TEST(c.max_connections_per_source == 20u);
    BOOST_TEST(c.connection_timeout_s == 600u);
    BOOST_TEST(c.inactivity_timeout_s == 300u);
    BOOST_TEST(c.tarpit_s == 0u);
    BOOST_TEST((c.reverse_dns == ReverseDns::lookup));
    BOOST_TEST(c.loc.line == 3);
}

BOOST_AUTO_TEST_CASE(receive_connector_all_keys) {
    TempDir dir("loader");
    auto rs = test::load_ok(dir, std::string(org) + R"(
[[receive_connector]]
name = "Internal"
bind = ["0.0.0.0:25", "[::]:25"]
daemon_name = "internal"
remote = ["10.0.0.0/8", "2001:db8::/32"]
auth = ["tls", "basic-require-tls", "external-authoritative"]
require_tls = true
permission_groups = ["anonymous", "users", "partners", "servers"]
grant = ["accept-authoritative-domain-sender"]
deny = ["bypass-anti-spam", "accept-any-recipient"]
max_message_size = "10MiB"
max_recipients = 50
max_connections = 100
max_connections_per_source = 5
connection_timeout = "1h30m"
inactivity_timeout = 90
tarpit = "5s"
reverse_dns = "require"
)");
    const auto& c = rs->receive_connectors.at(0);
    BOOST_TEST(c.bind.size() == 2u);
    BOOST_TEST(c.daemon_name.value_or("") == "internal");
    BOOST_TEST(c.remote_explicit);
    BOOST_TEST(c.remote.at(0).to_string() == "10.0.0.0/8");
    BOOST_TEST(c.has(AuthMechanism::external_authoritative));
    BOOST_TEST(c.has(AuthMechanism::basic_require_tls));
    BOOST_TEST(!c.has(AuthMechanism::basic));
    BOOST_TEST(c.require_tls);
    BOOST_TEST(c.permission_groups.size() == 4u);
    BOOST_TEST(c.grant == bit(Right::accept_authoritative_domain_sender));
    BOOST_TEST(c.deny == (bit(Right::bypass_anti_spam) | bit(Right::accept_any_recipient)));
    BOOST_TEST(c.max_message_size == 10u * 1024 * 1024);
    BOOST_TEST(c.max_recipients == 50u);
    BOOST_TEST(c.max_connections == 100u);
    BOOST_TEST(c.max_connections_per_source == 5u);
    BOOST_TEST(c.connection_timeout_s == 5400u);
    BOOST_TEST(c.inactivity_timeout_s == 90u);
    BOOST_TEST(c.tarpit_s == 5u);
    BOOST_TEST((c.reverse_dns == ReverseDns::require));
}

BOOST_AUTO_TEST_CASE(receive_connector_reverse_dns_values) {
    TempDir dir("loader");
    auto with = [&](const std::string& v) {
        return test::load(dir, std::string(org) + "[[receive_connector]]\nname = \"x\"\nbind = [\"*:25\"]\n"
                                                   "reverse_dns = " + v + "\n");
    };
    auto off = with("\"off\"");
    BOOST_TEST_REQUIRE(off.ok(), errors_of(off));
    BOOST_TEST((off.ruleset->receive_connectors[0].reverse_dns == ReverseDns::off));
    auto bad = with("\"strict\"");
    BOOST_TEST(!bad.ok());
    BOOST_TEST(errors_of(bad).find("rules.toml:6:15: error:") == 0u, errors_of(bad));
    BOOST_TEST(errors_of(bad).find("reverse_dns") != std::string::npos, errors_of(bad));
    BOOST_TEST(errors_of(bad).find("'strict'") != std::string::npos, errors_of(bad));
}

BOOST_AUTO_TEST_CASE(domain_security_and_tls_required) {
    TempDir dir("loader");
    dir.write("rules/certs/partners.pem", "-----BEGIN CERTIFICATE-----\n");
    auto result = test::load(dir, std::string(org) + R"(
[domain_security]
receive = ["Partner.example"]
send = ["partner.example", "*.partner.example"]
ca_file = "certs/partners.pem"
direct_trust = [ { domain = "Other.example", sha256 = "ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89" } ]
on_failure = "reject"
[[tls_required]]
domain = "bank.example"
[[tls_required]]
domain = "*.bank.example"
direction = "send"
level = "domain"
[[tls_required]]
domain = "gov.example"
direction = "receive"
level = "verify"
min_cipher_bits = 128
min_tls_version = "TLSv1.2"
)");
    BOOST_TEST_REQUIRE(result.ok(), errors_of(result));
    // One warning per receive domain: milter mode sees only the CN.
    BOOST_TEST_REQUIRE(result.diagnostics.size() == 1u);
    BOOST_TEST((result.diagnostics[0].severity == Diagnostic::Severity::warning));
    BOOST_TEST(result.diagnostics[0].str().starts_with("rules.toml:5:12: warning: domain security for 'partner.example'"));
    const auto& ds = *result.ruleset->domain_security;
    BOOST_TEST(ds.receive.at(0).domain == "partner.example");
    BOOST_TEST(ds.send.size() == 2u);
    BOOST_TEST(ds.send[1].subdomains);
    BOOST_TEST(ds.ca_file == (dir.path() / "rules" / "certs/partners.pem").string());
    BOOST_TEST_REQUIRE(ds.direct_trust.size() == 1u);
    BOOST_TEST(ds.direct_trust[0].domain == "other.example");
    BOOST_TEST(ds.direct_trust[0].sha256 == "ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789");
    BOOST_TEST((ds.on_failure == OnFailure::reject));
    const auto& t = result.ruleset->tls_required;
    BOOST_TEST_REQUIRE(t.size() == 3u);
    BOOST_TEST((t[0].receive && t[0].send && t[0].level == TlsLevel::encrypt));
    BOOST_TEST((!t[1].receive && t[1].send && t[1].level == TlsLevel::domain));
    BOOST_TEST((t[2].receive && !t[2].send && t[2].level == TlsLevel::verify));
    BOOST_TEST(t[2].min_cipher_bits == 128);
    BOOST_TEST((t[2].min_tls_version == TlsVersion::tls1_2));
    BOOST_TEST(t[0].min_cipher_bits == 0);
    BOOST_TEST((t[0].min_tls_version == TlsVersion::any));

    auto bad = test::load(dir, std::string(org) + R"(
[[tls_required]]
domain = "bank.example"
min_tls_version = "SSLv3"
)");
    BOOST_TEST(!bad.ok());
    BOOST_TEST(errors_of(bad).find("rules.toml:6:19: error: invalid value 'SSLv3' for 'min_tls_version': expected one "
                                   "of TLSv1, TLSv1.1, TLSv1.2, TLSv1.3") != std::string::npos,
               errors_of(bad));
}

BOOST_AUTO_TEST_CASE(send_connectors) {
    TempDir dir("loader");
    dir.write("rules/secrets/u.pass", "secret\n");
    auto rs = test::load_ok(dir, std::string(org) + R"(
[[send_connector]]
name = "Internet"
address_spaces = ["*"]
[[send_connector]]
name = "Relay"
address_spaces = ["example.net", "*.Example.net"]
cost = 0
smart_hosts = ["[192.0.2.1]:25", "relay.example.net", "Relay2.example.net:587", "[2001:db8::1]:2525", "[relay3.example.net]"]
tls = "domain-validation"
tls_domain = "Relay.Example.net"
auth = { user = "u", password_file = "secrets/u.pass" }
)");
    const auto& s = rs->send_connectors;
    BOOST_TEST_REQUIRE(s.size() == 2u);
    BOOST_TEST(s[0].address_spaces.at(0).all);
    BOOST_TEST(s[0].cost == 10);
    BOOST_TEST(s[0].smart_hosts.empty());
    BOOST_TEST((s[0].tls == SendTls::opportunistic));
    BOOST_TEST(!s[0].auth.has_value());
    BOOST_TEST(s[1].address_spaces.at(1).str() == "*.example.net");
    BOOST_TEST(s[1].cost == 0);
    BOOST_TEST_REQUIRE(s[1].smart_hosts.size() == 5u);
    BOOST_TEST(s[1].smart_hosts[0].str() == "[192.0.2.1]:25");
    BOOST_TEST(s[1].smart_hosts[1].str() == "relay.example.net");
    BOOST_TEST(s[1].smart_hosts[2].str() == "relay2.example.net:587");
    BOOST_TEST(s[1].smart_hosts[3].str() == "[2001:db8::1]:2525");
    BOOST_TEST(s[1].smart_hosts[4].str() == "[relay3.example.net]:25");
    BOOST_TEST((s[1].tls == SendTls::domain_validation));
    BOOST_TEST(s[1].tls_domain == "relay.example.net");
    BOOST_TEST_REQUIRE(s[1].auth.has_value());
    BOOST_TEST(s[1].auth->user == "u");
    BOOST_TEST(s[1].auth->password_file == (dir.path() / "rules" / "secrets/u.pass").string());
    BOOST_TEST(s[0].port == 25);
}

BOOST_AUTO_TEST_CASE(send_connector_port) {
    TempDir dir("loader");
    auto with = [&](const std::string& v) {
        return test::load(dir, std::string(org) + "[[send_connector]]\nname = \"x\"\naddress_spaces = [\"*\"]\n"
                                                   "smart_hosts = [\"[192.0.2.1]\", \"[192.0.2.2]:26\"]\nport = " + v + "\n");
    };
    auto ok = with("2525");
    BOOST_TEST_REQUIRE(ok.ok(), errors_of(ok));
    const auto& c = ok.ruleset->send_connectors.at(0);
    BOOST_TEST(c.port == 2525);
    BOOST_TEST(c.smart_hosts.at(0).port == 2525);  // written without a port: the connector's
    BOOST_TEST(c.smart_hosts.at(1).port == 26);
    for (const char* bad : {"0", "65536", "\"25\""}) {
        auto r = with(bad);
        BOOST_TEST(!r.ok(), bad);
        BOOST_TEST(errors_of(r).find("rules.toml:7:8: error:") == 0u, errors_of(r));
        BOOST_TEST(errors_of(r).find("'port'") != std::string::npos, errors_of(r));
    }
}

BOOST_AUTO_TEST_CASE(restrictions_policies_send_as) {
    TempDir dir("loader");
    auto rs = test::load_ok(dir, std::string(org) + R"(
[[group]]
name = "students"
members = ["@students.example.com"]
[[delivery_restriction]]
name = "Students stay inside"
senders = ["group:students"]
recipients = ["outside"]
reply = "550 5.7.1 Students may not send mail outside the school"
[[delivery_restriction]]
name = "Except the teachers list"
senders = ["any"]
recipients = ["teachers@example.com"]
action = "allow"
[[recipient_policy]]
recipients = ["all-staff@example.com"]
accept_only_from = ["@example.com"]
reject_from = ["bad@example.com"]
require_authenticated_sender = true
[[recipient_policy]]
recipients = ["ceo@example.com"]
accept_only_from = []
[[send_as]]
login = "alice"
addresses = ["sales@example.com", "@shop.example.com"]
)");
    const auto& d = rs->delivery_restrictions;
    BOOST_TEST_REQUIRE(d.size() == 2u);
    BOOST_TEST(!d[0].allow);
    BOOST_TEST(d[0].reply->code == 550);
    BOOST_TEST(d[0].reply->status == "5.7.1");
    BOOST_TEST(d[0].reply->text == "Students may not send mail outside the school");
    BOOST_TEST((d[0].recipients.at(0).kind == AddressPattern::Kind::outside));
    BOOST_TEST(d[1].allow);
    BOOST_TEST(!d[1].reply.has_value());
    const auto& p = rs->recipient_policies;
    BOOST_TEST_REQUIRE(p.size() == 2u);
    BOOST_TEST(p[0].accept_only_from->size() == 1u);
    BOOST_TEST(p[0].reject_from.size() == 1u);
    BOOST_TEST(p[0].require_authenticated_sender);
    BOOST_TEST(p[1].accept_only_from.has_value());
    BOOST_TEST(p[1].accept_only_from->empty());
    BOOST_TEST(!p[1].require_authenticated_sender);
    BOOST_TEST_REQUIRE(rs->send_as.size() == 1u);
    BOOST_TEST(rs->send_as[0].login == "alice");
    BOOST_TEST(rs->send_as[0].addresses.at(1).str() == "@shop.example.com");
}

BOOST_AUTO_TEST_CASE(merge_in_name_order) {
    TempDir dir("loader");
    dir.write("rules/20-connectors.toml", "[[receive_connector]]\nname = \"B\"\nbind = [\"*:25\"]\n");
    dir.write("rules/10-connectors.toml", "[[receive_connector]]\nname = \"A\"\nbind = [\"*:587\"]\n");
    dir.write("rules/00-org.toml", org);
    dir.write("rules/30-rules.toml",
              "[[transport_rule]]\nname = \"r2\"\nif = { tls = true }\nthen = { stop = true }\n");
    dir.write("rules/15-rules.toml",
              "[[transport_rule]]\nname = \"r1\"\nif = { tls = true }\nthen = { stop = true }\n");
    dir.write("rules/README.md", "not loaded");
    dir.write("rules/.swap.toml", "not = loaded");
    auto r = load_rules({dir.path() / "rules", dir.path() / "state"});
    BOOST_TEST_REQUIRE(r.ok(), errors_of(r));
    BOOST_TEST(r.ruleset->receive_connectors.at(0).name == "A");
    BOOST_TEST(r.ruleset->receive_connectors.at(1).name == "B");
    BOOST_TEST(r.ruleset->receive_connectors.at(0).loc.file == "10-connectors.toml");
    BOOST_TEST(r.ruleset->transport_rules.at(0).name == "r1");
    BOOST_TEST(r.ruleset->transport_rules.at(1).name == "r2");
}

BOOST_AUTO_TEST_CASE(single_tables_once_per_directory) {
    TempDir dir("loader");
    dir.write("rules/00-org.toml", org);
    dir.write("rules/10-more.toml", std::string("\n") + org + "[domain_security]\non_failure = \"reject\"\n");
    dir.write("rules/20-ds.toml", "[domain_security]\n");
    auto r = load_rules({dir.path() / "rules", dir.path() / "state"});
    BOOST_TEST(!r.ok());
    BOOST_TEST_REQUIRE(r.diagnostics.size() == 2u, errors_of(r));
    BOOST_TEST(r.diagnostics[0].str() ==
               "10-more.toml:2:1: error: duplicate [organization] table (first defined at 00-org.toml:1:1)");
    BOOST_TEST(r.diagnostics[1].str() ==
               "20-ds.toml:1:1: error: duplicate [domain_security] table (first defined at 10-more.toml:4:1)");
}

BOOST_AUTO_TEST_CASE(warnings_do_not_block) {
    TempDir dir("loader");
    auto r = test::load(dir, std::string(org) + "[[receive_connector]]\nname = \"nowhere\"\n");
    BOOST_TEST_REQUIRE(r.ok(), errors_of(r));
    BOOST_TEST_REQUIRE(r.diagnostics.size() == 1u);
    BOOST_TEST(r.diagnostics[0].str() ==
               "rules.toml:3:1: warning: receive connector 'nowhere' has neither 'bind' nor 'daemon_name': it never matches");
}

BOOST_AUTO_TEST_CASE(sizes_and_durations) {
    TempDir dir("loader");
    auto size = [&](const std::string& v) {
        auto r = test::load(dir, std::string(org) + "[[receive_connector]]\nname = \"x\"\nbind = [\"*:25\"]\n"
                                                     "max_message_size = " + v + "\n");
        return r.ok() ? r.ruleset->receive_connectors[0].max_message_size : 0;
    };
    BOOST_TEST(size("\"35MB\"") == 35'000'000u);
    BOOST_TEST(size("\"10KB\"") == 10'000u);
    BOOST_TEST(size("\"1GB\"") == 1'000'000'000u);
    BOOST_TEST(size("\"1MiB\"") == 1'048'576u);
    BOOST_TEST(size("\"2 kib\"") == 2048u);
    BOOST_TEST(size("\"12345\"") == 12345u);
    BOOST_TEST(size("4096") == 4096u);
    BOOST_TEST(size("\"35XB\"") == 0u);
    BOOST_TEST(size("\"MB\"") == 0u);
    BOOST_TEST(size("\"99999999999999999999\"") == 0u);
    BOOST_TEST(size("-1") == 0u);
    auto duration = [&](const std::string& v) -> long {
        auto r = test::load(dir, std::string(org) + "[[receive_connector]]\nname = \"x\"\nbind = [\"*:25\"]\n"
                                                     "tarpit = " + v + "\n");
        return r.ok() ? static_cast<long>(r.ruleset->receive_connectors[0].tarpit_s) : -1;
    };
    BOOST_TEST(duration("\"0s\"") == 0);
    BOOST_TEST(duration("\"10m\"") == 600);
    BOOST_TEST(duration("\"2h\"") == 7200);
    BOOST_TEST(duration("\"1d\"") == 86400);
    BOOST_TEST(duration("\"1h30m\"") == 5400);
    BOOST_TEST(duration("30") == 30);
    BOOST_TEST(duration("\"10x\"") == -1);
    BOOST_TEST(duration("\"1h30\"") == -1);
    BOOST_TEST(duration("\"\"") == -1);
}

BOOST_AUTO_TEST_CASE(strings_in_memory) {
    TempDir dir("loader");
    auto r = load_rules_from_strings({{"b.toml", "[[group]]\nname = \"g\"\nmembers = []\n"}, {"a.toml", org}},
                                     {dir.path(), dir.path() / "state"});
    BOOST_TEST_REQUIRE(r.ok(), errors_of(r));
    BOOST_TEST(r.ruleset->organization.loc.file == "a.toml");
    BOOST_TEST(r.ruleset->groups.at(0).loc.file == "b.toml");
}

BOOST_AUTO_TEST_CASE(missing_directory_is_an_error) {
    TempDir dir("loader");
    auto r = load_rules({dir.path() / "nope", dir.path() / "state"});
    BOOST_TEST(!r.ok());
    BOOST_TEST_REQUIRE(r.diagnostics.size() == 1u);
    BOOST_TEST(r.diagnostics[0].message == "rules directory not found or not a directory");
}

BOOST_AUTO_TEST_CASE(send_connector_hold_and_etrn) {
    TempDir dir("loader");
    auto rs = test::load_ok(dir, std::string(org) + R"(
[[send_connector]]
name = "Internet"
address_spaces = ["*"]
[[send_connector]]
name = "Partner"
address_spaces = ["partner.example"]
smart_hosts = ["[192.0.2.1]:25"]
hold = true
etrn = { server = "[2001:db8::7]:2525", domains = ["Example.COM", "sub.example.com."], every = "1h" }
[[send_connector]]
name = "Asks only when sending"
address_spaces = ["other.example"]
etrn = { server = "[192.0.2.9]:25", domains = ["example.com"] }
)");
    const auto& s = rs->send_connectors;
    BOOST_TEST_REQUIRE(s.size() == 3u);
    BOOST_TEST(!s[0].hold);
    BOOST_TEST(!s[0].etrn.has_value());
    BOOST_TEST(s[1].hold);
    BOOST_TEST_REQUIRE(s[1].etrn.has_value());
    BOOST_TEST(s[1].etrn->server.str() == "[2001:db8::7]:2525");
    BOOST_TEST(s[1].etrn->domains == (std::vector<std::string>{"example.com", "sub.example.com"}), boost::test_tools::per_element());
    BOOST_TEST(s[1].etrn->every_s == 3600u);
    BOOST_TEST_REQUIRE(s[2].etrn.has_value());
    BOOST_TEST(s[2].etrn->every_s == 0u);
}

BOOST_AUTO_TEST_CASE(send_connector_etrn_refusals) {
    TempDir dir("loader");
    auto r = test::load(dir, std::string(org) + R"(
[[send_connector]]
name = "A"
address_spaces = ["a.example"]
hold = "yes"
etrn = { server = "relay.example.net:25", domains = [], every = "10s", when = "always" }
[[send_connector]]
name = "B"
address_spaces = ["b.example"]
etrn = { domains = ["[192.0.2.1]", "b.example", "b.example"] }
)");
    BOOST_TEST(!r.ok());
    const std::string e = errors_of(r);
    BOOST_TEST(e.find("rules.toml:7:8: error: 'hold' must be a boolean") != std::string::npos, e);
    BOOST_TEST(e.find("rules.toml:8:72: error: unknown key 'when'") != std::string::npos, e);
    BOOST_TEST(e.find("rules.toml:8:19: error: invalid etrn server 'relay.example.net:25': expected an address in brackets") !=
                   std::string::npos, e);
    BOOST_TEST(e.find("rules.toml:8:53: error: 'domains' must not be empty") != std::string::npos, e);
    BOOST_TEST(e.find("rules.toml:8:65: error: 'every' must be at least 1m") != std::string::npos, e);
    BOOST_TEST(e.find("rules.toml:12:8: error: missing required key 'server'") != std::string::npos, e);
    BOOST_TEST(e.find("rules.toml:12:21: error: invalid domain '[192.0.2.1]' in 'domains'") != std::string::npos, e);
    BOOST_TEST(e.find("rules.toml:12:49: error: duplicate domain 'b.example' in 'domains'") != std::string::npos, e);
}
