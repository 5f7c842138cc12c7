// The Postfix export generator without the binary: listener and service names, how connectors map
// to smtpd services, listeners turned off or moved, names master.cf cannot carry, comment injection,
// smart-host credentials, and the shipped example mailwarden.toml holding exactly the defaults.
#define BOOST_TEST_MODULE postfix_export
#include <boost/test/unit_test.hpp>

#include "postfix/postfix_export.hpp"
#include "test_support.hpp"

using namespace mw;
using namespace mw::postfix;
using mw::test::load_ok;
using mw::test::TempDir;

namespace {

bool contains(const std::string& haystack, const std::string& needle) { return haystack.find(needle) != std::string::npos; }

mw::Endpoint endpoint(const std::string& text) { return *mw::parse_endpoint(text).endpoint; }

std::string unix_name(const std::string& path, const std::string& queue = "/var/spool/postfix") {
    auto l = postfix_listener(parse_listen_address("unix:" + path), queue);
    return l.name + (l.outside_queue_directory ? " (outside)" : "");
}

const std::string org = "[organization]\nhostname = \"mx.corp.test\"\n";

std::string connector(const std::string& name, const std::string& bind, const std::string& extra = "") {
    return "[[receive_connector]]\nname = \"" + name + "\"\nbind = [" + bind + "]\n" + extra + "\n";
}

std::string exported(const std::string& toml, const DaemonConfig& config = {}) {
    TempDir dir("pfexport");
    return export_postfix(*load_ok(dir, org + toml), config);
}

}  // namespace

BOOST_AUTO_TEST_CASE(unix_sockets_are_named_relative_to_the_queue_directory) {
    BOOST_TEST(unix_name("/var/spool/postfix/mailwarden/milter.sock") == "unix:mailwarden/milter.sock");
    BOOST_TEST(unix_name("/var/spool/postfix/mailwarden/milter.sock", "/var/spool/postfix/") ==
               "unix:mailwarden/milter.sock");
    BOOST_TEST(unix_name("/var/spool/postfix//x/../m.sock") == "unix:m.sock");
    BOOST_TEST(unix_name("/run/mailwarden/milter.sock") == "unix:/run/mailwarden/milter.sock (outside)");
    // A sibling directory sharing the prefix is outside, and so is an escape through "..".
    BOOST_TEST(unix_name("/var/spool/postfix2/m.sock") == "unix:/var/spool/postfix2/m.sock (outside)");
    BOOST_TEST(unix_name("/var/spool/postfix/../m.sock") == "unix:/var/spool/m.sock (outside)");
}

BOOST_AUTO_TEST_CASE(inet_listeners_are_written_as_is) {
    auto v4 = postfix_listener(parse_listen_address("inet:127.0.0.1:8891"), "/var/spool/postfix");
    BOOST_TEST(v4.name == "inet:127.0.0.1:8891");
    BOOST_TEST(!v4.outside_queue_directory);
    BOOST_TEST(postfix_listener(parse_listen_address("inet:[::1]:8891"), "/var/spool/postfix").name ==
               "inet:[::1]:8891");
}

BOOST_AUTO_TEST_CASE(master_service_names) {
    BOOST_TEST(master_service_name(endpoint("0.0.0.0:25")) == "smtp");
    BOOST_TEST(master_service_name(endpoint("[::]:25")) == "smtp");
    BOOST_TEST(master_service_name(endpoint("*:25")) == "smtp");
    BOOST_TEST(master_service_name(endpoint("0.0.0.0:587")) == "587");
    BOOST_TEST(master_service_name(endpoint("127.0.0.1:2525")) == "127.0.0.1:2525");
    BOOST_TEST(master_service_name(endpoint("[::1]:25")) == "[::1]:25");
    BOOST_TEST(master_service_name(endpoint("[2001:db8::1]:25")) == "[2001:db8::1]:25");
}

BOOST_AUTO_TEST_CASE(derived_names_never_take_another_connectors_daemon_name) {
    // "Internet" without daemon_name must not be called "internet": the milter would pick the
    // connector that has that name instead of matching by address.
    auto out = exported(connector("Other", "\"127.0.0.1:2526\"", "daemon_name = \"internet\"") +
                        connector("Internet", "\"127.0.0.1:2525\""));
    BOOST_TEST(contains(out, "127.0.0.1:2525 inet n - y - - smtpd\n  -o milter_macro_daemon_name=internet-2\n"), out);
    auto odd = exported(connector("!!!", "\"127.0.0.1:2525\""));
    BOOST_TEST(contains(odd, "-o milter_macro_daemon_name=connector\n"), odd);
}

BOOST_AUTO_TEST_CASE(one_service_name_per_binding_warns_about_the_losers) {
    auto two = exported(connector("A", "\"127.0.0.1:2525\"", "daemon_name = \"a\"") +
                        connector("B", "\"127.0.0.1:2525\"", "daemon_name = \"b\""));
    BOOST_TEST(contains(two, "-o milter_macro_daemon_name=a\n"));
    BOOST_TEST(!contains(two, "-o milter_macro_daemon_name=b\n"));
    BOOST_TEST(contains(two, "# warning: connectors A, B share this binding with different daemon_names"), two);
    auto unnamed = exported(connector("A", "\"127.0.0.1:2525\"", "daemon_name = \"a\"") +
                            connector("B", "\"127.0.0.1:2525\""));
    BOOST_TEST(contains(unnamed, "# warning: B has no daemon_name"), unnamed);
}

BOOST_AUTO_TEST_CASE(service_settings_follow_every_connector_on_it) {
    // TLS is required by the service only when every connector on it requires it; the size limit is
    // the largest, since mailwarden enforces each connector's own.
    auto out = exported(connector("A", "\"127.0.0.1:2525\"", "daemon_name = \"a\"\nrequire_tls = true\nmax_message_size = \"5MB\"") +
                        connector("B", "\"127.0.0.1:2525\"", "daemon_name = \"a\"\nmax_message_size = \"7MB\"\nremote = [\"10.0.0.0/8\"]"));
    BOOST_TEST(contains(out, "  -o message_size_limit=7000000\n"), out);
    BOOST_TEST(!contains(out, "smtpd_tls_security_level=encrypt"));
    BOOST_TEST(contains(out, "\nmessage_size_limit = 7000000\n"));
}

BOOST_AUTO_TEST_CASE(any_address_and_a_specific_address_on_one_port_warn) {
    auto out = exported(connector("A", "\"0.0.0.0:25\"", "daemon_name = \"a\"") +
                        connector("B", "\"127.0.0.1:25\"", "daemon_name = \"b\""));
    BOOST_TEST(contains(out, "# warning: services smtp, 127.0.0.1:25 all listen on port 25"), out);
}

BOOST_AUTO_TEST_CASE(connectors_without_bind_get_instructions) {
    auto out = exported(connector("A", "\"127.0.0.1:2525\"", "daemon_name = \"a\"") +
                        "[[receive_connector]]\nname = \"Elsewhere\"\ndaemon_name = \"other\"\n");
    BOOST_TEST(contains(out, "# Receive connector Elsewhere has no bind: add \"-o milter_macro_daemon_name=other\""), out);
}

BOOST_AUTO_TEST_CASE(daemon_names_master_cf_must_quote_or_refuse) {
    auto dollar = exported(connector("A", "\"127.0.0.1:2525\"", "daemon_name = \"a$b\""));
    BOOST_TEST(contains(dollar, "  -o milter_macro_daemon_name=a$$b\n"), dollar);
    auto spaced = exported(connector("A", "\"127.0.0.1:2525\"", "daemon_name = \"in bound\""));
    BOOST_TEST(contains(spaced, "  -o { milter_macro_daemon_name = in bound }\n"), spaced);
    TempDir dir("pfexport");
    auto rules = load_ok(dir, org + connector("A", "\"127.0.0.1:2525\"", "daemon_name = \"a\\nsmtpd_milters = x\""));
    BOOST_CHECK_THROW(export_postfix(*rules, {}), ExportError);
}

BOOST_AUTO_TEST_CASE(names_cannot_inject_settings_through_comments) {
    auto out = exported(connector("A\\nsmtpd_milters = inet:192.0.2.66:1", "\"127.0.0.1:2525\"", "daemon_name = \"a\""));
    BOOST_TEST(!contains(out, "\nsmtpd_milters = inet:"), out);
    BOOST_TEST(contains(out, "A?smtpd_milters"));
}

BOOST_AUTO_TEST_CASE(listeners_turned_off_or_on_tcp) {
    DaemonConfig off;
    off.milter.enabled = false;
    off.socketmap.listen = "";
    off.policy_service.enabled = false;
    auto out = exported(connector("A", "\"127.0.0.1:2525\"", "daemon_name = \"a\""), off);
    BOOST_TEST(!contains(out, "\nsmtpd_milters"));
    BOOST_TEST(!contains(out, "milter_macro_daemon_name"));
    BOOST_TEST(!contains(out, "\ntransport_maps"));
    BOOST_TEST(!contains(out, "check_policy_service"));
    BOOST_TEST(!contains(out, "smtpd_policy_service_policy_context"));
    BOOST_TEST(contains(out, "\nallow_percent_hack = no\n"));  // Postfix's own rerouting is off regardless

    DaemonConfig tcp;
    tcp.milter.listen = "inet:127.0.0.1:8891";
    tcp.socketmap.listen = "inet:[::1]:8892";
    tcp.policy_service.listen = "unix:/run/mailwarden/policy.sock";
    auto t = exported(connector("A", "\"127.0.0.1:2525\"", "daemon_name = \"a\""), tcp);
    BOOST_TEST(contains(t, "\nsmtpd_milters = inet:127.0.0.1:8891\n"), t);
    BOOST_TEST(contains(t, "\ntransport_maps = socketmap:inet:[::1]:8892:transport\n"));
    BOOST_TEST(contains(t, "\nsmtpd_relay_restrictions = check_policy_service unix:/run/mailwarden/policy.sock, "
                           "reject_unauth_destination\n"));
    BOOST_TEST(contains(t, "# warning: the [policy_service] socket is outside the queue directory"));
}

BOOST_AUTO_TEST_CASE(duplicate_smart_host_credentials_keep_the_first) {
    TempDir dir("pfexport");
    dir.write("rules/a.pass", "first\n");
    dir.write("rules/b.pass", "second\r\n");
    std::string send = "[[send_connector]]\nname = \"A\"\naddress_spaces = [\"a.test\"]\nsmart_hosts = [\"[192.0.2.1]:25\"]\n"
                       "tls = \"encryption-only\"\nauth = { user = \"ua\", password_file = \"a.pass\" }\n"
                       "[[send_connector]]\nname = \"B\"\naddress_spaces = [\"b.test\"]\nsmart_hosts = [\"[192.0.2.1]:25\"]\n"
                       "tls = \"encryption-only\"\nauth = { user = \"ub\", password_file = \"b.pass\" }\n";
    auto out = export_postfix(*load_ok(dir, org + send), {});
    BOOST_TEST(contains(out, "\n[192.0.2.1]:25 ua:first\n"), out);
    BOOST_TEST(!contains(out, "second"));
    BOOST_TEST(contains(out, "# warning: send connector B also authenticates to [192.0.2.1]:25"));
}

BOOST_AUTO_TEST_CASE(shipped_example_config_holds_the_defaults) {
    DaemonConfig file = load_daemon_config(std::string(MW_SOURCE_DIR) + "/contrib/postfix/mailwarden.toml");
    DaemonConfig d;
    BOOST_TEST(file.rules == d.rules);
    BOOST_TEST(file.state_dir == d.state_dir);
    BOOST_TEST(file.user == d.user);
    BOOST_TEST(file.socket_group == d.socket_group);
    for (auto [a, b] : {std::pair{&file.milter, &d.milter}, {&file.socketmap, &d.socketmap},
                        {&file.policy_service, &d.policy_service}, {&file.control, &d.control}}) {
        BOOST_TEST(a->enabled == b->enabled);
        BOOST_TEST(a->listen == b->listen);
    }
    BOOST_TEST(file.smtp.enabled == d.smtp.enabled);
    BOOST_TEST(file.smtp.tls_cert == d.smtp.tls_cert);
    BOOST_TEST(file.smtp.tls_key == d.smtp.tls_key);
    BOOST_TEST(file.smtp.users_file == d.smtp.users_file);
    BOOST_TEST(file.delivery.maildir == d.delivery.maildir);
    BOOST_TEST(file.delivery.lmtp == d.delivery.lmtp);
    BOOST_TEST(file.delivery.queue_lifetime_seconds == d.delivery.queue_lifetime_seconds);
    BOOST_TEST(file.delivery.delay_warning_seconds == d.delivery.delay_warning_seconds);
    BOOST_TEST(file.log.target == d.log.target);
}
