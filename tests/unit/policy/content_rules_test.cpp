// Message stage, content conditions: attachment name / extension / type / size, body text, any
// header, malformed MIME and part counts, judged on a MessageContent as the MIME inspection makes
// it; the content missing fails closed; a thousand rules through the per-field pattern scans.
#define BOOST_TEST_MODULE engine_content_rules
#include "engine_fixture.hpp"

using namespace mw::test;

namespace {

struct Fixture {
    TempDir dir{"engine-content"};
    std::shared_ptr<const Ruleset> rules;

    void load(const std::string& transport_rules, bool multi_pattern = true) {
        rules = load_ok(dir, std::string(base_rules) + internet_connector + transport_rules, multi_pattern);
    }
    Session session() {
        Session s(rules, standalone_facts("192.0.2.1", 25, "198.51.100.7"));
        BOOST_TEST_REQUIRE(s.mail_from("someone@far.example").code == 250);
        BOOST_TEST_REQUIRE(s.rcpt_to("bob@example.com").verdict.code == 250);
        return s;
    }
    MessageResult judge(const MessageContent& content, const std::vector<HeaderField>& fields = {}) {
        auto s = session();
        return s.message(fields, 20'000, &content);
    }
    static bool fired(const MessageResult& m, const std::string& name = "R") {
        return std::find(m.rules_applied.begin(), m.rules_applied.end(), name) != m.rules_applied.end();
    }
};

std::string rule(const std::string& condition, const std::string& name = "R") {
    return "\n[[transport_rule]]\nname = \"" + name + "\"\nif = " + condition +
           "\nthen = { add_header = { X-Tag = \"yes\" } }\n";
}

MimePart part(std::string section, std::string type, std::vector<std::string> names = {}, std::uint64_t size = 100) {
    MimePart p;
    p.section = std::move(section);
    p.depth = 1;
    p.content_type = std::move(type);
    p.file_names = std::move(names);
    p.decoded_size = size;
    p.attachment = !p.file_names.empty() || (p.content_type != "text/plain" && p.content_type != "text/html");
    return p;
}

// multipart/mixed: a text body and one attachment.
MessageContent with_attachment(std::string type, std::vector<std::string> names, std::uint64_t size = 100) {
    MessageContent c;
    MimePart top = part("", "multipart/mixed");
    top.depth = 0;
    top.container = true;
    top.attachment = false;
    c.parts = {top, part("1", "text/plain"), part("2", std::move(type), std::move(names), size)};
    c.part_count = 3;
    c.body_text = "Hello,\nplease find the report attached.\n";
    return c;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(content, Fixture)

BOOST_AUTO_TEST_CASE(attachment_extension_names_the_part) {
    load(rule(R"({ attachment_extension = ["exe", ".SCR"] })"));
    BOOST_TEST(rules->needs_content);
    auto m = judge(with_attachment("application/octet-stream", {"evil.exe"}));
    BOOST_TEST(fired(m), trace_text(m.trace));
    BOOST_TEST(trace_has(m.trace, "part 2 application/octet-stream name=\"evil.exe\": attachment_extension exe"),
               trace_text(m.trace));
    BOOST_TEST(fired(judge(with_attachment("application/octet-stream", {"Holiday.Photo.SCR"}))));
    BOOST_TEST(!fired(judge(with_attachment("application/pdf", {"report.pdf"}))));
    BOOST_TEST(!fired(judge(with_attachment("application/octet-stream", {"exe"}))));  // no dot: no extension
}

BOOST_AUTO_TEST_CASE(attachment_extension_ignores_trailing_dots_and_spaces) {
    load(rule(R"({ attachment_extension = "exe" })"));
    for (std::string name : {"evil.exe.", "evil.exe ", "evil.exe. . ", "EVIL.EXE", "a.b.exe"})
        BOOST_TEST(fired(judge(with_attachment("application/octet-stream", {name}))), name);
    BOOST_TEST(!fired(judge(with_attachment("application/octet-stream", {"evil.exe.txt"}))));
    // Either of a part's names counts (filename= and name= may differ).
    BOOST_TEST(fired(judge(with_attachment("application/octet-stream", {"invoice.pdf", "invoice.exe"}))));
}

BOOST_AUTO_TEST_CASE(a_named_body_part_is_looked_at_too) {
    // An .exe declared text/plain is still caught by its name.
    load(rule(R"({ attachment_extension = "exe" })"));
    MessageContent c = with_attachment("text/plain", {"evil.exe"});
    BOOST_TEST(fired(judge(c)));
}

BOOST_AUTO_TEST_CASE(attachment_name_matches) {
    load(rule(R"({ attachment_name_matches = ["(?i)^invoice.*\\.zip$", "^never$"] })"));
    BOOST_TEST(fired(judge(with_attachment("application/zip", {"Invoice 2026-12.zip"}))));
    BOOST_TEST(!fired(judge(with_attachment("application/zip", {"photos.zip"}))));
    BOOST_TEST(!fired(judge(with_attachment("application/zip", {}))));
}

BOOST_AUTO_TEST_CASE(attachment_type_globs) {
    load(rule(R"({ attachment_type = ["application/x-msdownload", "*/x-ms*"] })") +
         rule(R"({ attachment_type = "text/plain" })", "Text"));
    auto m = judge(with_attachment("application/x-msdownload", {"setup"}));
    BOOST_TEST(fired(m));
    BOOST_TEST(trace_has(m.trace, "attachment_type application/x-msdownload"), trace_text(m.trace));
    BOOST_TEST(fired(judge(with_attachment("application/x-msdos-program", {}))));
    BOOST_TEST(!fired(judge(with_attachment("application/pdf", {"a.pdf"}))));
    // The unnamed text body is not an attachment: a type rule does not see it.
    BOOST_TEST(!fired(judge(with_attachment("application/pdf", {"a.pdf"})), "Text"));
    BOOST_TEST(fired(judge(with_attachment("text/plain", {"notes.txt"})), "Text"));
}

BOOST_AUTO_TEST_CASE(attachment_size_over) {
    load(rule(R"({ attachment_size_over = "10KB" })"));
    BOOST_TEST(fired(judge(with_attachment("application/pdf", {"a.pdf"}, 10'001))));
    BOOST_TEST(!fired(judge(with_attachment("application/pdf", {"a.pdf"}, 10'000))));
}

BOOST_AUTO_TEST_CASE(body_contains_and_matches) {
    load(rule(R"({ body_contains = ["WIRE TRANSFER", "gift card"] })") +
         rule(R"({ body_matches = "(?i)\\bpassword\\s*:" })", "Password"));
    MessageContent c = with_attachment("application/pdf", {"a.pdf"});
    c.body_text = "Dear customer, please buy a Gift Card today.\nThanks";
    auto m = judge(c);
    BOOST_TEST(fired(m));
    BOOST_TEST(!fired(m, "Password"));
    c.body_text = "your new Password:  hunter2";
    m = judge(c);
    BOOST_TEST(!fired(m));
    BOOST_TEST(fired(m, "Password"));
    c.body_text = "passwords: none";
    BOOST_TEST(!fired(judge(c), "Password"));
}

BOOST_AUTO_TEST_CASE(any_header_matches_every_field) {
    load(rule(R"({ any_header_matches = "(?i)^x-spam-[a-z]+: *yes" })"));
    MessageContent c = with_attachment("application/pdf", {"a.pdf"});
    BOOST_TEST(fired(judge(c, {{"Subject", "hi"}, {"X-Spam-Flag", "YES"}})));
    BOOST_TEST(fired(judge(c, {{"X-Spam-Status", "Yes, score=9"}})));
    BOOST_TEST(!fired(judge(c, {{"Subject", "X-Spam-Flag: yes"}})));
    // The header test needs no body: a ruleset of header rules only does not keep the content.
    BOOST_TEST(!rules->needs_content);
}

BOOST_AUTO_TEST_CASE(mime_malformed_and_part_count) {
    load(rule(R"({ mime_malformed = true })") + rule(R"({ part_count_over = 2 })", "Parts") +
         rule(R"({ mime_malformed = false, part_count_over = 1 })", "Sound"));
    MessageContent c = with_attachment("application/pdf", {"a.pdf"});
    auto m = judge(c);
    BOOST_TEST(!fired(m));
    BOOST_TEST(fired(m, "Parts"));
    BOOST_TEST(fired(m, "Sound"));
    c.malformed = {"part 2: multipart without boundary"};
    m = judge(c);
    BOOST_TEST(fired(m));
    BOOST_TEST(!fired(m, "Sound"));
    BOOST_TEST(trace_has(m.trace, "mime_malformed: part 2: multipart without boundary"), trace_text(m.trace));
    c.malformed.clear();
    c.parts.resize(2);
    c.part_count = 2;
    BOOST_TEST(!fired(judge(c), "Parts"));
}

BOOST_AUTO_TEST_CASE(content_not_inspected_fails_closed) {
    load(rule(R"({ attachment_extension = "exe" })"));
    auto s = session();
    auto m = s.message({{"Subject", "hi"}}, 1000, nullptr);
    BOOST_TEST(reply(m.verdict) == "451 4.3.0 Temporary policy failure", trace_text(m.trace));
    BOOST_TEST(trace_has(m.trace, "attachment_extension: the message content was not inspected"), trace_text(m.trace));
}

// A rule whose first condition is a field's patterns is passed over when none of them is in the
// message; that shortcut must not pass over a rule that cannot be evaluated, nor fire one whose
// later conditions fail.
BOOST_AUTO_TEST_CASE(rules_passed_over_by_their_first_condition) {
    for (const char* condition : {R"({ body_contains = "invoice" })", R"({ attachment_name_matches = "^a" })",
                                  R"({ attachment_type = "application/pdf" })"}) {
        BOOST_TEST_CONTEXT(condition) {
            load(rule(condition));
            auto s = session();
            auto m = s.message({{"Subject", "hi"}}, 1000, nullptr);
            BOOST_TEST(reply(m.verdict) == "451 4.3.0 Temporary policy failure", trace_text(m.trace));
            BOOST_TEST(trace_has(m.trace, "the message content was not inspected"), trace_text(m.trace));
        }
    }
    load(rule(R"({ subject_contains = "report", attachment_extension = "exe" })", "Both") +
         rule(R"({ attachment_type = "application/pdf", body_contains = "report" })", "Pdf and report") +
         rule(R"({ header_matches = { X-Scan = "^infected$" }, size_over = 10 })", "Scan"));
    auto pdf = with_attachment("application/pdf", {"a.pdf"});
    auto m = judge(pdf, {{"Subject", "the report"}, {"X-Scan", "clean"}});
    BOOST_TEST(m.rules_applied == std::vector<std::string>{"Pdf and report"}, boost::test_tools::per_element());
    m = judge(with_attachment("application/x-msdownload", {"a.exe"}), {{"Subject", "the report"}, {"X-Scan", "infected"}});
    BOOST_TEST((m.rules_applied == std::vector<std::string>{"Both", "Scan"}), boost::test_tools::per_element());
    // Only the first condition gates: a Subject PCRE2 cannot finish with is noted in the trace even
    // though the second condition fails (a gate on the header would skip the rule and lose it).
    load(rule(R"({ subject_matches = "^(a+)+\\x{e9}?$", header_matches = { X-A = "^never$" } })", "Order"));
    m = judge(pdf, {{"Subject", std::string(40, 'a') + "b"}, {"X-A", "x"}});
    BOOST_TEST(m.verdict.code == 250, trace_text(m.trace));
    BOOST_TEST(trace_has(m.trace, "fails closed"), trace_text(m.trace));
}

BOOST_AUTO_TEST_CASE(exception_on_content) {
    load(R"(
[[transport_rule]]
name = "R"
if = { from_scope = "outside" }
except = { attachment_type = "application/pdf" }
then = { add_header = { X-Tag = "yes" } }
)");
    BOOST_TEST(!fired(judge(with_attachment("application/pdf", {"a.pdf"}))));
    BOOST_TEST(fired(judge(with_attachment("image/png", {"a.png"}))));
}

// A thousand rules, each with its own patterns in the same fields: exactly the rules whose patterns
// the message holds fire, whatever their number (the per-field scans find them in one pass).
// Both ways of matching (one Hyperscan scan per field, or every pattern by PCRE2 in turn, the
// benchmark's baseline) find the same rules.
BOOST_AUTO_TEST_CASE(a_thousand_rules) {
    std::string text;
    for (int i = 0; i < 1000; ++i) {
        std::string name = "rule " + std::to_string(i);
        switch (i % 4) {
            case 0: text += rule("{ subject_matches = \"(?i)ticket #" + std::to_string(i) + "\\\\b\" }", name); break;
            case 1: text += rule("{ body_contains = \"project-" + std::to_string(i) + "-x\" }", name); break;
            case 2: text += rule("{ header_matches = { X-Tag-" + std::to_string(i % 7) + " = \"^t" + std::to_string(i) + "$\" } }", name); break;
            default: text += rule("{ attachment_name_matches = \"^file" + std::to_string(i) + "\\\\.bin$\" }", name); break;
        }
    }
    for (bool multi_pattern : {true, false}) {
        BOOST_TEST_CONTEXT("multi_pattern " << multi_pattern) {
            load(text, multi_pattern);
            MessageContent c = with_attachment("application/octet-stream", {"file503.bin"});
            c.body_text = "about project-501-x and project-5-x and project-9999-x";
            auto m = judge(c, {{"Subject", "Re: TICKET #400 and ticket #4000"}, {"X-Tag-2", "t2"}, {"X-Tag-3", "t3"}});
            std::vector<std::string> expected = {"rule 2", "rule 400", "rule 5", "rule 501", "rule 503"};
            std::vector<std::string> applied = m.rules_applied;
            std::sort(applied.begin(), applied.end());
            BOOST_TEST(applied == expected, boost::test_tools::per_element());
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(content_conditions_load_errors) {
    TempDir dir("engine-content-errors");
    auto errors = [&](const std::string& rules) {
        auto loaded = load(dir, std::string(base_rules) + internet_connector + rules);
        BOOST_TEST(!loaded.ok());
        std::string text;
        for (const auto& d : loaded.diagnostics) text += d.str() + "\n";
        return text;
    };
    BOOST_TEST((errors(rule(R"({ attachment_extension = "tar.gz" })")))
                   .find("an extension is what follows the last dot ('gz')") != std::string::npos);
    BOOST_TEST((errors(rule(R"({ attachment_type = "exe" })"))).find("invalid 'attachment_type' 'exe'") !=
               std::string::npos);
    BOOST_TEST((errors(rule(R"({ body_matches = "(unclosed" })"))).find("invalid regex '(unclosed'") !=
               std::string::npos);
    BOOST_TEST((errors(rule(R"({ part_count_over = -1 })"))).find("part_count_over") != std::string::npos);
    BOOST_TEST((errors("\n[mime]\nmax_depth = 0\n")).find("max_depth") != std::string::npos);
    dir.write("rules/zz-more.toml", "[mime]\nmax_depth = 3\n");
    BOOST_TEST((errors("\n[mime]\nmax_parts = 10\n")).find("duplicate [mime] table") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(mime_limits_load) {
    TempDir dir("engine-content-limits");
    auto rules = load_ok(dir, std::string(base_rules) + internet_connector +
                                  "\n[mime]\nmax_depth = 5\nmax_parts = 50\nmax_decoded_size = \"2MB\"\nmax_body_text = \"64KB\"\n");
    BOOST_TEST(rules->mime.max_depth == 5u);
    BOOST_TEST(rules->mime.max_parts == 50u);
    BOOST_TEST(rules->mime.max_decoded_bytes == 2u * 1000 * 1000);
    BOOST_TEST(rules->mime.max_body_text == 64u * 1000);
}
