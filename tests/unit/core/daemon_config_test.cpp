// mailwarden.toml: defaults, relative paths, listener syntax, and errors with FILE:LINE:COL.
#define BOOST_TEST_MODULE daemon_config
#include <boost/test/unit_test.hpp>

#include "core/daemon_config.hpp"
#include "test_support.hpp"

using namespace mw;

BOOST_AUTO_TEST_CASE(defaults_match_the_contract) {
    DaemonConfig c;
    BOOST_TEST(c.milter.listen == "unix:/var/spool/postfix/mailwarden/milter.sock");
    BOOST_TEST(c.socketmap.listen == "unix:/var/spool/postfix/mailwarden/socketmap.sock");
    BOOST_TEST(c.policy_service.listen == "unix:/var/spool/postfix/mailwarden/policy.sock");
    BOOST_TEST(c.control.listen == "unix:/run/mailwarden/control.sock");
    BOOST_TEST(c.user == "mailwarden");
    BOOST_TEST(!c.smtp.enabled);
}

BOOST_AUTO_TEST_CASE(reads_a_file_with_relative_paths) {
    mw::test::TempDir dir("config");
    auto file = dir.write("mailwarden.toml", R"(rules = "rules"
state_dir = "/var/tmp/mw"
user = "nobody"
[milter]
listen = "inet:127.0.0.1:8891"
[socketmap]
enabled = false
[policy_service]
listen = ""
[log]
target = "syslog"
[delivery]
queue_lifetime = "2d"
max_hops = 30
connect_timeout = "45s"
timeout = "5m"
recipient_limit = 20
retry = ["10m", "10m", "10m", "15m"]
workers = 16
max_connections = 200
max_connections_per_domain = 10
max_messages_per_connection = 20
)");
    DaemonConfig c = load_daemon_config(file);
    BOOST_TEST(c.rules == dir.path() / "rules");
    BOOST_TEST(c.state_dir == "/var/tmp/mw");
    BOOST_TEST(c.user == "nobody");
    BOOST_TEST(c.milter.active());
    BOOST_TEST(!c.socketmap.active());
    BOOST_TEST(!c.policy_service.active());
    BOOST_TEST(c.log.target == "syslog");
    BOOST_TEST(c.delivery.queue_lifetime_seconds == 2u * 86400);
    BOOST_TEST(c.delivery.max_hops == 30u);
    BOOST_TEST(c.delivery.connect_timeout_seconds == 45u);
    BOOST_TEST(c.delivery.timeout_seconds == 300u);
    BOOST_TEST(c.delivery.recipient_limit == 20u);
    BOOST_TEST(c.delivery.workers == 16u);
    BOOST_TEST(c.delivery.max_connections == 200u);
    BOOST_TEST(c.delivery.max_connections_per_domain == 10u);
    BOOST_TEST(c.delivery.max_messages_per_connection == 20u);
    BOOST_TEST((c.delivery.retry_seconds == std::vector<std::uint64_t>{600, 600, 600, 900}));
    ListenAddress a = parse_listen_address(c.milter.listen);
    BOOST_TEST((a.kind == ListenAddress::Kind::inet));
    BOOST_TEST(a.host == "127.0.0.1");
    BOOST_TEST(a.port == 8891);
}

BOOST_AUTO_TEST_CASE(errors_name_file_line_column) {
    mw::test::TempDir dir("config");
    auto file = dir.write("mailwarden.toml", "[milter]\nlisten = \"inet:localhost:8891\"\n");
    try {
        load_daemon_config(file);
        BOOST_FAIL("accepted a host name");
    } catch (const ConfigError& e) {
        BOOST_TEST(std::string(e.what()) == file.string() + ":2:10: error: 'inet:localhost:8891': 'localhost' is not an IP address");
    }
    auto typo = dir.write("typo.toml", "[miltr]\nlisten = \"unix:/x\"\n");
    try {
        load_daemon_config(typo);
        BOOST_FAIL("accepted an unknown section");
    } catch (const ConfigError& e) {
        BOOST_TEST(std::string(e.what()) == typo.string() + ":1:2: error: unknown key 'miltr'");
    }
    auto hops = dir.write("hops.toml", "[delivery]\nmax_hops = 0\n");
    try {
        load_daemon_config(hops);
        BOOST_FAIL("accepted max_hops = 0");
    } catch (const ConfigError& e) {
        BOOST_TEST(std::string(e.what()) == hops.string() + ":2:12: error: 'max_hops' must be a whole number from 1 to 1000");
    }
    auto retry = dir.write("retry.toml", "[delivery]\nretry = \"10m\"\n");
    try {
        load_daemon_config(retry);
        BOOST_FAIL("accepted retry = \"10m\"");
    } catch (const ConfigError& e) {
        BOOST_TEST(std::string(e.what()) ==
                   retry.string() + ":2:9: error: 'retry' must be a list of 1 to 10 durations such as [\"10m\", \"15m\"]");
    }
    auto timeout = dir.write("timeout.toml", "[delivery]\ntimeout = \"0s\"\n");
    try {
        load_daemon_config(timeout);
        BOOST_FAIL("accepted timeout = 0s");
    } catch (const ConfigError& e) {
        BOOST_TEST(std::string(e.what()) == timeout.string() + ":2:11: error: 'timeout' must be longer than 0 seconds");
    }
}

BOOST_AUTO_TEST_CASE(listen_address_syntax) {
    BOOST_TEST(parse_listen_address("inet:[::1]:25").host == "::1");
    BOOST_TEST(parse_listen_address("inet:[::1]:25").str() == "inet:[::1]:25");
    BOOST_TEST(parse_listen_address("unix:/run/x.sock").path == "/run/x.sock");
    BOOST_CHECK_THROW(parse_listen_address("unix:relative.sock"), ConfigError);
    BOOST_CHECK_THROW(parse_listen_address("inet:127.0.0.1:0"), ConfigError);
    BOOST_CHECK_THROW(parse_listen_address("inet:127.0.0.1:70000"), ConfigError);
    BOOST_CHECK_THROW(parse_listen_address("tcp:127.0.0.1:25"), ConfigError);
    BOOST_CHECK_THROW(parse_listen_address("unix:/" + std::string(200, 'a')), ConfigError);
}

BOOST_AUTO_TEST_CASE(policy_service_and_control_must_be_unix_sockets) {
    mw::test::TempDir dir("config");
    auto policy = dir.write("policy.toml", "[policy_service]\nlisten = \"inet:127.0.0.1:8893\"\n");
    try {
        load_daemon_config(policy);
        BOOST_FAIL("accepted a TCP policy service");
    } catch (const ConfigError& e) {
        BOOST_TEST(std::string(e.what()) ==
                   policy.string() + ":2:10: error: [policy_service] listen must be a unix socket: any local user could reach a TCP port");
    }
    auto control = dir.write("control.toml", "[control]\nlisten = \"inet:127.0.0.1:8894\"\n");
    BOOST_CHECK_THROW(load_daemon_config(control), ConfigError);
}

BOOST_AUTO_TEST_CASE(contrib_standalone_config_turns_the_mta_on_and_the_milter_off) {
    DaemonConfig c = load_daemon_config(std::filesystem::path(MW_SOURCE_DIR) / "contrib/standalone/mailwarden.toml");
    BOOST_TEST(c.smtp.enabled);
    BOOST_TEST(!c.milter.active());
    BOOST_TEST(!c.socketmap.active());
    BOOST_TEST(!c.policy_service.active());
    BOOST_TEST(c.control.active());
    BOOST_TEST(c.smtp.users_file == "/etc/mailwarden/users");
    BOOST_TEST(c.delivery.maildir == "/var/mail/{domain}/{user}/");
    BOOST_TEST(c.delivery.queue_lifetime_seconds == 5u * 86400);
    BOOST_TEST(c.delivery.max_hops == 50u);
    BOOST_TEST(c.delivery.connect_timeout_seconds == 30u);
    BOOST_TEST(c.delivery.timeout_seconds == 600u);
    BOOST_TEST(c.delivery.recipient_limit == 50u);
    BOOST_TEST(c.delivery.retry_seconds.empty());  // Postfix's backoff
    BOOST_TEST(c.delivery.workers == 8u);
    BOOST_TEST(c.delivery.max_connections == 1000u);
    BOOST_TEST(c.delivery.max_connections_per_domain == 100u);
    BOOST_TEST(c.delivery.max_messages_per_connection == 100u);
}

BOOST_AUTO_TEST_CASE(dns_section_forwarders_and_files) {
    DaemonConfig defaults;
    BOOST_TEST(defaults.dns.forwarders.empty());
    BOOST_TEST(defaults.dns.trust_anchor == "/usr/share/dns/root.key");
    BOOST_TEST(defaults.dns.unbound_config.empty());

    mw::test::TempDir dir("config");
    auto file = dir.write("mailwarden.toml", R"([dns]
forwarders = ["127.0.0.1:5353", "192.0.2.53", "[::1]:5300", "2001:db8::53"]
trust_anchor = "root.ds"
unbound_config = "unbound.conf"
)");
    DaemonConfig c = load_daemon_config(file);
    BOOST_TEST_REQUIRE(c.dns.forwarders.size() == 4u);
    BOOST_TEST(c.dns.forwarders[0].unbound_form() == "127.0.0.1@5353");
    BOOST_TEST(c.dns.forwarders[1].unbound_form() == "192.0.2.53@53");
    BOOST_TEST(c.dns.forwarders[2].unbound_form() == "::1@5300");
    BOOST_TEST(c.dns.forwarders[3].unbound_form() == "2001:db8::53@53");
    BOOST_TEST(c.dns.trust_anchor == dir.path() / "root.ds");
    BOOST_TEST(c.dns.unbound_config == dir.path() / "unbound.conf");

    auto bad = dir.write("bad.toml", "[dns]\nforwarders = [\"127.0.0.1\", \"dns.example:53\"]\n");
    try {
        load_daemon_config(bad);
        BOOST_FAIL("accepted a host name as forwarder");
    } catch (const ConfigError& e) {
        BOOST_TEST(std::string(e.what()) == bad.string() +
                                               ":2:28: error: 'dns.example:53': 'dns.example' is not an IP address (a forwarder is "
                                               "ADDR, ADDR:PORT or [V6ADDR]:PORT)");
    }
    BOOST_CHECK_THROW(parse_dns_forwarder("127.0.0.1:0"), ConfigError);
    BOOST_TEST(parse_dns_forwarder("[::1]").unbound_form() == "::1@53");
    BOOST_CHECK_THROW(parse_dns_forwarder("[::1]:"), ConfigError);
    BOOST_CHECK_THROW(parse_dns_forwarder(""), ConfigError);
}
