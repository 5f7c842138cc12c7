// `mailwarden explain --message FILE` on every MIME sample (tests/data/mime-samples/make-samples:
// hand-written Outlook and Apple Mail shapes, messages made by swaks, Python and mpack, name tricks, a
// forwarded message, a part bomb), judged by the shipped rules as mail from outside: each executable
// is refused by the example rule, the trace names the part, malformed MIME is quarantined.
#define BOOST_TEST_MODULE explain_message
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <fstream>
#include <map>

#include "json_value.hpp"
#include "test_support.hpp"

using mw::test::Json;
using mw::test::run_mailwarden;
using mw::test::TempDir;

namespace {

const std::string shipped_rules = std::string(MW_SOURCE_DIR) + "/rules";

struct Samples {
    TempDir dir{"mime-samples"};
    std::map<std::string, std::string> expected;  // file name -> reject | quarantine | accept
    Samples() {
        std::string cmd = std::string(MW_TEST_DATA) + "/mime-samples/make-samples '" + dir.path().string() + "'";
        BOOST_TEST_REQUIRE(std::system(cmd.c_str()) == 0, cmd);
        std::ifstream in(dir.path() / "expected");
        std::string name, verdict;
        while (in >> name >> verdict) expected[name] = verdict;
        BOOST_TEST_REQUIRE(expected.size() >= 18u);
    }
};

Samples& samples() {
    static Samples s;
    return s;
}

Json explain_file(const std::string& file, std::vector<std::string> extra = {}) {
    TempDir state("explain-message");
    std::vector<std::string> args = {"explain", "--rules", shipped_rules, "--state-dir", state.path().string(),
                                     "--json", "--local", "127.0.0.1:2525", "--client", "192.0.2.7", "--from",
                                     "someone@vendor.example", "--to", "alice@example.com", "--message", file};
    args.insert(args.end(), extra.begin(), extra.end());
    auto r = run_mailwarden(args);
    BOOST_TEST_REQUIRE(r.status == 0, "explain exited " << r.status << ": " << r.err);
    return Json::parse(r.out);
}

bool trace_contains(const Json& j, const std::string& needle) {
    for (const auto& line : j["trace"].arr())
        if (line.str().find(needle) != std::string::npos) return true;
    return false;
}

std::string trace_of(const Json& j) {
    std::string out;
    for (const auto& line : j["trace"].arr()) out += line.str() + "\n";
    return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_sample_gets_its_verdict) {
    for (const auto& [name, verdict] : samples().expected) {
        BOOST_TEST_CONTEXT("sample " << name) {
            Json j = explain_file((samples().dir.path() / name).string());
            const Json& m = j["message"];
            BOOST_TEST_REQUIRE(!m.is_null(), trace_of(j));
            BOOST_TEST(m["action"].str() == verdict, trace_of(j));
            if (verdict == "reject") {
                BOOST_TEST(m["code"].num() == 550);
                BOOST_TEST(m["text"].str() == "Executable attachments are not accepted");
                BOOST_TEST((m["rule"].str() == "No executables from outside" ||
                            m["rule"].str() == "No executable types from outside"),
                           m["rule"].str());
            } else if (verdict == "quarantine") {
                BOOST_TEST(m["rule"].str() == "Quarantine malformed MIME");
                BOOST_TEST(!j["content"]["malformed"].arr().empty());
            } else {
                BOOST_TEST(m["code"].num() == 250);
                BOOST_TEST(j["content"]["malformed"].arr().empty());
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(the_trace_names_the_part) {
    Json outlook = explain_file((samples().dir.path() / "outlook.eml").string());
    BOOST_TEST(trace_contains(outlook, "part 2 application/octet-stream name=\"Invoice-2026-12.exe\": "
                                       "attachment_extension exe"),
               trace_of(outlook));
    Json swaks = explain_file((samples().dir.path() / "swaks.eml").string());
    BOOST_TEST(trace_contains(swaks, "part 2 application/octet-stream name=\"evil.exe\": attachment_extension exe"),
               trace_of(swaks));
    // Inside the forwarded message/rfc822 (part 2), its second part.
    Json forwarded = explain_file((samples().dir.path() / "forwarded.eml").string());
    BOOST_TEST(trace_contains(forwarded, "part 2.2 application/octet-stream name=\"tool.exe\": attachment_extension exe"),
               trace_of(forwarded));
    Json type_only = explain_file((samples().dir.path() / "type-only.eml").string());
    BOOST_TEST(trace_contains(type_only, "attachment_type application/x-msdownload"), trace_of(type_only));
    BOOST_TEST(type_only["message"]["rule"].str() == "No executable types from outside");
}

BOOST_AUTO_TEST_CASE(the_report_lists_the_parts) {
    Json j = explain_file((samples().dir.path() / "python-unicode-name.eml").string());
    const auto& parts = j["content"]["parts"].arr();
    BOOST_TEST_REQUIRE(parts.size() == 3u);
    BOOST_TEST(parts[0]["type"].str() == "multipart/mixed");
    BOOST_TEST(parts[1]["section"].str() == "1");
    BOOST_TEST(parts[1]["type"].str() == "text/plain");
    BOOST_TEST(parts[2]["section"].str() == "2");
    BOOST_TEST(parts[2]["names"].arr().at(0).str() == "r\xc3\xa9sum\xc3\xa9.exe");
    BOOST_TEST(parts[2]["size"].num() == 64);
    BOOST_TEST(parts[2]["attachment"].boolean());
}

BOOST_AUTO_TEST_CASE(message_and_header_exclude_each_other) {
    TempDir state("explain-message-args");
    auto r = run_mailwarden({"explain", "--rules", shipped_rules, "--state-dir", state.path().string(), "--local",
                             "127.0.0.1:2525", "--client", "192.0.2.7", "--from", "a@vendor.example", "--to",
                             "alice@example.com", "--message", (samples().dir.path() / "clean.eml").string(),
                             "--header", "Subject: x"});
    BOOST_TEST(r.status == 2);
    BOOST_TEST(r.err.find("either --message FILE or --header") != std::string::npos, r.err);
    auto missing = run_mailwarden({"explain", "--rules", shipped_rules, "--state-dir", state.path().string(),
                                   "--local", "127.0.0.1:2525", "--client", "192.0.2.7", "--from", "a@vendor.example",
                                   "--to", "alice@example.com", "--message", "/nonexistent/message.eml"});
    BOOST_TEST(missing.status == 2);
    BOOST_TEST(missing.err.find("cannot read --message file") != std::string::npos, missing.err);
}
