// End-to-end: the real `mailwarden` binary's command line: --help for every command and subcommand,
// --version, the top-level list of commands, the forms options take, and the messages and exit
// status 2 of bad arguments.
#define BOOST_TEST_MODULE command line
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <regex>
#include <sstream>

#include "json_value.hpp"
#include "test_support.hpp"

using mw::test::Json;
using mw::test::run_mailwarden;
using mw::test::RunResult;
using mw::test::TempDir;

namespace {

const std::string shipped_rules = std::string(MW_SOURCE_DIR) + "/rules";

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

// project(mailwarden VERSION x.y.z) in the top-level CMakeLists.txt.
std::string project_version() {
    std::ifstream in(std::string(MW_SOURCE_DIR) + "/CMakeLists.txt");
    std::stringstream text;
    text << in.rdbuf();
    std::smatch m;
    std::string s = text.str();
    BOOST_TEST_REQUIRE(std::regex_search(s, m, std::regex(R"(project\(mailwarden VERSION ([0-9.]+))")));
    return m[1];
}

struct HelpCase {
    std::vector<std::string> command;
    std::vector<std::string> mentions;
};

const std::vector<HelpCase> help_cases = {
    {{"check"}, {"--rules DIR", "--state-dir DIR"}},
    {{"explain"}, {"--rules DIR", "--state-dir DIR", "--connector NAME", "--daemon-name NAME", "--local ADDR:PORT",
                   "--client IP", "--client-name NAME", "--helo NAME", "--tls VERSION", "--cipher NAME", "--cert-subject DN",
                   "--cert-issuer DN", "--cert-verified", "--cert-san NAME...", "--cert-sha256 HEX", "--auth USER",
                   "--from ADDR", "--to ADDR...", "--header 'Name: value'", "--size BYTES", "--size-param BYTES",
                   "--mta standalone|postfix|sendmail", "--json", "--resolve", "--config FILE"}},
    {{"serve"}, {"--config FILE", "--rules DIR", "--state-dir DIR", "[smtp] enabled = true"}},
    {{"reload"}, {"--config FILE"}},
    {{"status"}, {"--config FILE", "--json"}},
    {{"export"}, {"--config FILE", "--rules DIR", "--state-dir DIR", "postfix", "sendmail"}},
    {{"export", "postfix"}, {"--config FILE", "--rules DIR", "--state-dir DIR", "--queue-directory DIR"}},
    {{"export", "sendmail"}, {"--config FILE", "--rules DIR", "--state-dir DIR"}},
    {{"queue"}, {"--config FILE", "--state-dir DIR", "list", "show ID", "flush", "delete ID", "hold ID", "release ID"}},
    {{"queue", "list"}, {"--config FILE", "--state-dir DIR", "--json"}},
    {{"queue", "show"}, {"Usage: mailwarden queue show ID", "--config FILE", "--state-dir DIR"}},
    {{"queue", "flush"}, {"--config FILE", "--state-dir DIR"}},
    {{"queue", "delete"}, {"Usage: mailwarden queue delete ID", "--state-dir DIR"}},
    {{"queue", "hold"}, {"Usage: mailwarden queue hold ID", "--state-dir DIR"}},
    {{"queue", "release"}, {"Usage: mailwarden queue release ID", "--state-dir DIR"}},
};

std::string joined(const std::vector<std::string>& words) {
    std::string out;
    for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
    return out;
}

std::vector<std::string> with(std::vector<std::string> base, const std::vector<std::string>& more) {
    base.insert(base.end(), more.begin(), more.end());
    return base;
}

// The first line of what a bad command line prints, after checking it exits 2 and prints nothing
// on stdout.
std::string usage_error(const std::vector<std::string>& args) {
    RunResult r = run_mailwarden(args);
    BOOST_TEST(r.status == 2, joined(args) << " exited " << r.status << ": " << r.err);
    BOOST_TEST(r.out == "", joined(args));
    return first_line(r.err);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(help)

BOOST_AUTO_TEST_CASE(every_command_and_subcommand_has_help_naming_its_options) {
    for (const auto& c : help_cases) {
        const std::string name = joined(c.command);
        for (const std::string flag : {"--help", "-h"}) {
            RunResult r = run_mailwarden(with(c.command, {flag}));
            BOOST_TEST(r.status == 0, name << " " << flag << ": " << r.err);
            BOOST_TEST(r.err == "", name);
            BOOST_TEST(contains(r.out, "Usage: mailwarden " + name), name << ":\n" << r.out);
            for (const auto& m : c.mentions)
                BOOST_TEST(contains(r.out, m), name << " --help lacks " << m << ":\n" << r.out);
        }
        // `help COMMAND` is `COMMAND --help`.
        RunResult h = run_mailwarden(with({"help"}, c.command));
        BOOST_TEST(h.status == 0, name);
        BOOST_TEST(h.out == run_mailwarden(with(c.command, {"--help"})).out, name);
    }
}

BOOST_AUTO_TEST_CASE(help_wins_over_bad_arguments) {
    RunResult r = run_mailwarden({"check", "--bogus", "--help"});
    BOOST_TEST(r.status == 0, r.err);
    BOOST_TEST(contains(r.out, "Usage: mailwarden check"));
}

BOOST_AUTO_TEST_CASE(top_level_help_lists_every_command_and_what_serve_runs) {
    for (const std::vector<std::string>& args : {std::vector<std::string>{"--help"}, {"-h"}, {"help"}}) {
        RunResult r = run_mailwarden(args);
        BOOST_TEST_REQUIRE(r.status == 0, r.err);
        for (const char* command : {"check", "explain", "serve", "reload", "status", "export postfix",
                                    "export sendmail", "queue list", "queue show ID", "queue flush",
                                    "queue delete ID", "queue hold ID", "queue release ID", "help"})
            BOOST_TEST(contains(r.out, "\n  " + std::string(command) + " "),
                       "no line for " << command << " in:\n" << r.out);
        for (const char* part : {"milter", "socketmap", "policy service", "control socket", "SMTP server",
                                 "[smtp] enabled = true"})
            BOOST_TEST(contains(r.out, part), "serve's description lacks " << part);
        BOOST_TEST(contains(r.out, "--version"));
    }
}

BOOST_AUTO_TEST_CASE(no_command_prints_the_help_on_stderr_and_exits_2) {
    RunResult r = run_mailwarden({});
    BOOST_TEST(r.status == 2);
    BOOST_TEST(r.out == "");
    BOOST_TEST(r.err == run_mailwarden({"--help"}).out);
}

BOOST_AUTO_TEST_CASE(version_is_the_projects) {
    RunResult r = run_mailwarden({"--version"});
    BOOST_TEST(r.status == 0, r.err);
    BOOST_TEST(r.out == "mailwarden " + project_version() + "\n");
    BOOST_TEST(r.err == "");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(usage_errors)

BOOST_AUTO_TEST_CASE(bad_options_keep_their_messages) {
    BOOST_TEST(usage_error({"check", "--bogus"}) == "mailwarden check: unknown option '--bogus'");
    BOOST_TEST(usage_error({"check", "--bogus=1"}) == "mailwarden check: unknown option '--bogus'");
    BOOST_TEST(usage_error({"check", "-x"}) == "mailwarden check: unknown option '-x'");
    BOOST_TEST(usage_error({"check", "--rules"}) == "mailwarden check: option '--rules' needs a value");
    BOOST_TEST(usage_error({"check", "--rules", "a", "--rules=b"}) ==
               "mailwarden check: option '--rules' given more than once");
    BOOST_TEST(usage_error({"check", "extra"}) == "mailwarden check: unexpected argument 'extra'");
    BOOST_TEST(usage_error({"status", "--json=yes"}) == "mailwarden status: option '--json' takes no value");
    BOOST_TEST(usage_error({"status", "--json", "--json"}) ==
               "mailwarden status: option '--json' given more than once");
    BOOST_TEST(usage_error({"reload", "--status"}) == "mailwarden reload: unknown option '--status'");
    BOOST_TEST(usage_error({"serve", "--json"}) == "mailwarden serve: unknown option '--json'");
    // An option of one subcommand is named as such in another.
    BOOST_TEST(usage_error({"queue", "show", "X", "--json"}) ==
               "mailwarden queue: option '--json' is for 'queue list' only");
    BOOST_TEST(usage_error({"queue", "show"}) == "mailwarden queue: 'queue show' needs a queue id");
    BOOST_TEST(usage_error({"queue", "flush", "a.example", "b.example"}) == "mailwarden queue: unexpected argument 'b.example'");
    BOOST_TEST(usage_error({"queue", "flush", "bob@a.example"}) ==
               "mailwarden queue: 'queue flush' takes a domain, not 'bob@a.example'");
    BOOST_TEST(usage_error({"queue", "bogus"}) == "mailwarden queue: unknown subcommand 'bogus'; valid: list, "
                                                  "show ID, flush [DOMAIN], delete ID, hold ID, release ID");
    BOOST_TEST(usage_error({"export"}) == "mailwarden export: which MTA? valid targets: postfix, sendmail");
    BOOST_TEST(usage_error({"bogus"}) == "mailwarden: unknown command 'bogus'");
    BOOST_TEST(usage_error({"--bogus"}) == "mailwarden: unknown option '--bogus'");
}

BOOST_AUTO_TEST_CASE(bad_values_keep_their_messages) {
    const std::vector<std::string> explain = {"explain", "--local", "127.0.0.1:25", "--client", "192.0.2.1",
                                              "--from", "a@example.com", "--to", "b@example.com"};
    BOOST_TEST(usage_error(with(explain, {"--cert-sha256", "zz", "--tls", "TLSv1.3"})) ==
               "mailwarden explain: option '--cert-sha256' must be a SHA-256 fingerprint in hex, not 'zz'");
    BOOST_TEST(usage_error(with(explain, {"--cert-sha256=AB:CD", "--tls", "TLSv1.3"})) ==
               "mailwarden explain: option '--cert-sha256' must have 64 hex digits (32 bytes), not 4");
    BOOST_TEST(usage_error(with(explain, {"--mta", "exim"})) ==
               "mailwarden explain: option '--mta' must be standalone, postfix or sendmail, not 'exim'");
    BOOST_TEST(usage_error(with(explain, {"--size", "12kb"})) ==
               "mailwarden explain: option '--size' needs a non-negative whole number, not '12kb'");
    BOOST_TEST(usage_error(with(explain, {"--header", "no colon"})) ==
               "mailwarden explain: option '--header' needs 'Name: value', not 'no colon'");
    BOOST_TEST(usage_error(with(explain, {"--cipher", "AES"})) ==
               "mailwarden explain: certificate and cipher options describe a TLS session: give '--tls VERSION' too");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(option_forms)

// `--name value` and `--name=value`, several values after `--to` up to the next option, `--to` again,
// `--header` repeated: the report shows every recipient and header.
BOOST_AUTO_TEST_CASE(values_separate_inline_several_and_repeated) {
    TempDir state("command-line");
    auto r = run_mailwarden({"explain", "--rules=" + shipped_rules, "--state-dir", state.path().string(),
                             "--local=127.0.0.1:2525", "--client", "127.0.0.1", "--to", "a@example.com",
                             "b@example.com", "--from=<>", "--to=c@example.com", "--header", "Subject: one",
                             "--header=X-Two: 2", "--helo=", "--json"});
    BOOST_TEST_REQUIRE(r.status == 0, r.err);
    Json j = Json::parse(r.out);
    BOOST_TEST(j["connector"].str() == "Internet");
    BOOST_TEST_REQUIRE(j["recipients"].arr().size() == 3u);
    BOOST_TEST(j["recipients"][0]["address"].str() == "a@example.com");
    BOOST_TEST(j["recipients"][1]["address"].str() == "b@example.com");
    BOOST_TEST(j["recipients"][2]["address"].str() == "c@example.com");
}

// The options of `export` and `queue` go before or after the subcommand's name.
BOOST_AUTO_TEST_CASE(command_options_before_or_after_the_subcommand) {
    TempDir state("command-line");
    const std::string dir = state.path().string();
    auto after = run_mailwarden({"export", "sendmail", "--rules", shipped_rules, "--state-dir", dir});
    auto before = run_mailwarden({"export", "--rules", shipped_rules, "--state-dir", dir, "sendmail"});
    BOOST_TEST_REQUIRE(after.status == 0, after.err);
    BOOST_TEST(before.status == 0, before.err);
    BOOST_TEST(before.out == after.out);
    BOOST_TEST(usage_error({"export", "--rules", "a", "postfix", "--rules", "b"}) ==
               "mailwarden export: option '--rules' given more than once");
}

BOOST_AUTO_TEST_SUITE_END()
