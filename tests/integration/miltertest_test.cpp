// The milter driven directly by Sendmail's miltertest (tests/milter/*.lua): protocol edges that a
// real MTA rarely produces on demand (a close before any event, an abrupt drop mid-transaction, an
// abort then a new transaction, a {daemon_name} no connector knows), on the shipped rules.
#define BOOST_TEST_MODULE miltertest
#include <boost/test/unit_test.hpp>

#include <grp.h>
#include <sys/stat.h>

#include <filesystem>
#include <memory>

#include "support/mailwarden_daemon.hpp"
#include "support/net.hpp"
#include "support/process.hpp"
#include "test_support.hpp"

using namespace mw::itest;
namespace fs = std::filesystem;

namespace {

struct Milter {
    mw::test::TempDir dir{"miltertest"};
    std::unique_ptr<MailwardenDaemon> daemon;
    Milter() {
        fs::create_directories(dir.path() / "sockets");
        MailwardenOptions o;
        o.rules_source = fs::path(MW_SOURCE_DIR) / "rules";
        o.socket_dir = short_socket_dir(dir.path() / "sockets");
        daemon = std::make_unique<MailwardenDaemon>(dir.path() / "mailwarden", o);
        daemon->start();
    }
    RunResult run(const std::string& script) const {
        fs::path scripts = fs::path(MW_SOURCE_DIR) / "tests/milter";
        return run_capture({"env", "MW_MILTER_SOCKET=unix:" + (short_socket_dir(dir.path() / "sockets") / "milter.sock").string(),
                            "MW_MILTER_SCRIPTS=" + scripts.string(), "miltertest", "-s", (scripts / script).string()},
                           {}, 60s, true);
    }
};

Milter& milter() {
    static Milter m;
    return m;
}

void check(const std::string& script) {
    auto r = milter().run(script);
    BOOST_TEST(r.status == 0, script << ":\n" << r.out << "\nmailwarden log:\n" << milter().daemon->log());
}

}  // namespace

BOOST_AUTO_TEST_CASE(relay_denied_per_recipient) { check("t01_relay_denied.lua"); }
BOOST_AUTO_TEST_CASE(forged_headers_deleted_and_stamp_inserted) { check("t02_forged_headers.lua"); }
BOOST_AUTO_TEST_CASE(unknown_service_tempfails_at_mail) { check("t03_unknown_service.lua"); }
BOOST_AUTO_TEST_CASE(abort_close_and_abrupt_drop) { check("t04_abort_and_close.lua"); }

BOOST_AUTO_TEST_CASE(decisions_are_logged_postfix_style) {
    check("t01_relay_denied.lua");
    std::string log = milter().daemon->log();
    BOOST_TEST(log.find("milter: NOQUEUE: reject: RCPT from client.test[192.0.2.10]: 554 5.7.1 "
                        "<victim@other.example>: Relay access denied; rule=\"connector Internet: no accept-any-recipient\" "
                        "connector=Internet from=<someone@elsewhere.example> to=<victim@other.example> proto=ESMTP "
                        "helo=<client.test>") != std::string::npos,
               log);
    BOOST_TEST(log.find("4XyZ1: accept: END-OF-MESSAGE from client.test[192.0.2.11]") != std::string::npos, log);
}

BOOST_AUTO_TEST_CASE(status_reports_generation_and_counters) {
    check("t01_relay_denied.lua");
    auto text = milter().daemon->status();
    BOOST_TEST(text.status == 0, text.err);
    BOOST_TEST(text.out.rfind("generation 1\n", 0) == 0u, text.out);
    BOOST_TEST(text.out.find("\nrcpt_refused 0\n") == std::string::npos, text.out);  // t01 refuses two
    auto json = run_capture({MW_BINARY, "status", "--json", "--config", milter().daemon->config_file().string()});
    BOOST_TEST(json.status == 0, json.err);
    BOOST_TEST(json.out.find("\"generation\": 1,") != std::string::npos, json.out);
    BOOST_TEST(json.out.find("\"milter\": true") != std::string::npos, json.out);
    BOOST_TEST(json.out.find("\"rcpt_refused\": 0,") == std::string::npos, json.out);
}

BOOST_AUTO_TEST_CASE(binds_as_root_then_runs_unprivileged_with_mta_only_sockets) {
    std::string log = milter().daemon->log();
    BOOST_TEST(log.find("running as nobody") != std::string::npos, log);
    for (const char* name : {"milter.sock", "socketmap.sock", "policy.sock"}) {
        struct stat st{};
        fs::path p = milter().dir.path() / "sockets" / name;
        BOOST_REQUIRE(::lstat(p.c_str(), &st) == 0);
        BOOST_TEST(S_ISSOCK(st.st_mode), name);
        BOOST_TEST((st.st_mode & 0777) == 0660u, name);
        struct group* postfix = ::getgrnam("postfix");
        BOOST_REQUIRE(postfix);
        BOOST_TEST(st.st_gid == postfix->gr_gid, name);
    }
}
