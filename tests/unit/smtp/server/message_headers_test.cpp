#define BOOST_TEST_MODULE smtp message headers
#include <boost/test/unit_test.hpp>

#include "smtp/server/message_headers.hpp"

using namespace mw::smtp::server;
using mw::policy::HeaderEdit;
using Kind = HeaderEdit::Kind;

namespace {

std::string edit(std::string_view message, const std::vector<HeaderEdit>& edits) {
    return apply_header_edits(message, parse_headers(message), edits);
}

HeaderEdit remove(std::string name, int index) { return {Kind::remove, std::move(name), "", index}; }
HeaderEdit add(std::string name, std::string value) { return {Kind::add, std::move(name), std::move(value), 0}; }
HeaderEdit set(std::string name, std::string value) { return {Kind::set, std::move(name), std::move(value), 0}; }
HeaderEdit prefix(std::string value) { return {Kind::prepend_subject, "Subject", std::move(value), 0}; }

const std::string sample =
    "Received: from a\r\n\tby b; Mon, 1 Jan 2024\r\n"
    "Subject: Hello\r\n  world\r\n"
    "X-Tag: one\r\n"
    "x-tag: two\r\n"
    "X-TAG: three\r\n"
    "\r\n"
    "Body line\r\nX-Tag: not a header\r\n";

}  // namespace

BOOST_AUTO_TEST_CASE(parse_folded_fields) {
    auto parsed = parse_headers(sample);
    BOOST_REQUIRE(parsed.facts.fields.size() == 5u);
    BOOST_TEST(parsed.facts.fields[0].name == "Received");
    BOOST_TEST(parsed.facts.fields[0].value == "from a\tby b; Mon, 1 Jan 2024");
    BOOST_TEST(parsed.facts.fields[1].value == "Hello  world");
    BOOST_TEST(parsed.facts.fields[3].name == "x-tag");
    BOOST_TEST(parsed.raw[1] == "Subject: Hello\r\n  world\r\n");
    BOOST_TEST(sample.substr(parsed.body_offset) == "Body line\r\nX-Tag: not a header\r\n");
}

BOOST_AUTO_TEST_CASE(parse_edge_cases) {
    auto no_body = parse_headers("Subject: x\r\nFrom: a@b\r\n");
    BOOST_TEST(no_body.facts.fields.size() == 2u);
    BOOST_TEST(no_body.body_offset == 23u);
    auto empty_body = parse_headers("Subject: x\r\n\r\n");
    BOOST_TEST(empty_body.body_offset == 14u);
    auto empty = parse_headers("");
    BOOST_TEST(empty.facts.fields.empty());
    BOOST_TEST(empty.body_offset == 0u);
    auto no_header = parse_headers("just text\r\nSubject: x\r\n");
    BOOST_TEST(no_header.facts.fields.empty());
    BOOST_TEST(no_header.body_offset == 0u);
    auto leading_fold = parse_headers(" folded\r\n");
    BOOST_TEST(leading_fold.facts.fields.empty());
    auto body_without_separator = parse_headers("Subject: x\r\nnot a field\r\n");
    BOOST_TEST(body_without_separator.facts.fields.size() == 1u);
    BOOST_TEST(body_without_separator.body_offset == 12u);
    auto space_before_colon = parse_headers("Subject : x\r\nEmpty:\r\n\r\n");
    BOOST_TEST(space_before_colon.facts.fields[0].name == "Subject");
    BOOST_TEST(space_before_colon.facts.fields[0].value == "x");
    BOOST_TEST(space_before_colon.facts.fields[1].value == "");
    auto no_final_crlf = parse_headers("Subject: x");
    BOOST_TEST(no_final_crlf.facts.fields[0].value == "x");
    BOOST_TEST(no_final_crlf.body_offset == 10u);
}

BOOST_AUTO_TEST_CASE(no_edits_keep_the_bytes) { BOOST_TEST(edit(sample, {}) == sample); }

BOOST_AUTO_TEST_CASE(remove_second_of_three_in_arrival_order) {
    BOOST_TEST(edit(sample, {remove("X-Tag", 2)}) ==
               "Received: from a\r\n\tby b; Mon, 1 Jan 2024\r\nSubject: Hello\r\n  world\r\n"
               "X-Tag: one\r\nX-TAG: three\r\n\r\nBody line\r\nX-Tag: not a header\r\n");
    // Indexes refer to the original message, whatever order the removals come in.
    std::string both = "Received: from a\r\n\tby b; Mon, 1 Jan 2024\r\nSubject: Hello\r\n  world\r\n"
                       "x-tag: two\r\n\r\nBody line\r\nX-Tag: not a header\r\n";
    BOOST_TEST(edit(sample, {remove("x-tag", 1), remove("X-TAG", 3)}) == both);
    BOOST_TEST(edit(sample, {remove("X-Tag", 3), remove("X-Tag", 1)}) == both);
    BOOST_TEST(edit(sample, {remove("X-Tag", 4), remove("Nope", 1)}) == sample);
    BOOST_TEST(edit(sample, {remove("Received", 1)}).rfind("Subject: Hello\r\n  world\r\n", 0) == 0);
}

BOOST_AUTO_TEST_CASE(stamps_go_on_top_other_adds_are_appended) {
    // As the milter: each stamp is inserted at index 0, so the last one added ends up topmost.
    BOOST_TEST(edit("Subject: x\r\n\r\nbody\r\n",
                    {add("X-Mailwarden-AuthAs", "Anonymous"), add("Authentication-Results", "mx; auth=pass")}) ==
               "Authentication-Results: mx; auth=pass\r\nX-Mailwarden-AuthAs: Anonymous\r\nSubject: x\r\n\r\nbody\r\n");
    BOOST_TEST(edit("Subject: x\r\n\r\nbody\r\n", {add("X-A", "1"), add("X-B", "2")}) ==
               "Subject: x\r\nX-A: 1\r\nX-B: 2\r\n\r\nbody\r\n");
    BOOST_TEST(edit("", {add("X-Mailwarden-AuthAs", "Anonymous")}) == "X-Mailwarden-AuthAs: Anonymous\r\n");
    BOOST_TEST(edit("Subject: x\r\n", {add("X-Mailwarden-AuthAs", "Partner")}) ==
               "X-Mailwarden-AuthAs: Partner\r\nSubject: x\r\n");
    // A body with no empty line before it gets one, so it cannot become part of the header.
    BOOST_TEST(edit("no header here\r\n", {add("X-Mailwarden-AuthAs", "Anonymous")}) ==
               "X-Mailwarden-AuthAs: Anonymous\r\n\r\nno header here\r\n");
    // A value cannot smuggle a field of its own.
    BOOST_TEST(edit("\r\nb\r\n", {add("X-Mailwarden-A", "1\r\nBcc: x@y")}) == "X-Mailwarden-A: 1  Bcc: x@y\r\n\r\nb\r\n");
}

BOOST_AUTO_TEST_CASE(set_replaces_the_first_and_drops_the_rest) {
    BOOST_TEST(edit(sample, {set("x-tag", "new")}) ==
               "Received: from a\r\n\tby b; Mon, 1 Jan 2024\r\nSubject: Hello\r\n  world\r\n"
               "x-tag: new\r\n\r\nBody line\r\nX-Tag: not a header\r\n");
    // No such field: appended at the end of the header, as smfi_addheader does.
    BOOST_TEST(edit("Subject: x\r\n\r\nb\r\n", {set("X-New", "v")}) == "Subject: x\r\nX-New: v\r\n\r\nb\r\n");
    // After removals, the first survivor is the one set.
    BOOST_TEST(edit(sample, {remove("X-Tag", 1), set("X-Tag", "v")}).find("X-Tag: v\r\n\r\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(prepend_subject) {
    BOOST_TEST(edit(sample, {prefix("[EXTERNAL] ")}).find("Subject: [EXTERNAL] Hello  world\r\nX-Tag: one") !=
               std::string::npos);
    BOOST_TEST(edit("From: a@b\r\n\r\nb\r\n", {prefix("[EXT] ")}) == "From: a@b\r\nSubject: [EXT] \r\n\r\nb\r\n");
    BOOST_TEST(edit("subject: x\r\nSubject: y\r\n\r\n", {prefix("P ")}) == "Subject: P x\r\nSubject: y\r\n\r\n");
    // A set Subject, then prefixed: the prefix goes on the new value (header_plan's order).
    BOOST_TEST(edit("Subject: x\r\n\r\n", {set("Subject", "new"), prefix("P ")}) == "Subject: P new\r\n\r\n");
}

BOOST_AUTO_TEST_CASE(mixed_edits) {
    std::string out = edit(sample, {remove("X-Tag", 2), add("X-Mailwarden-AuthAs", "Anonymous"),
                                    prefix("[EXT] "), set("X-Spam", "no")});
    BOOST_TEST(out == "X-Mailwarden-AuthAs: Anonymous\r\n"
                      "Received: from a\r\n\tby b; Mon, 1 Jan 2024\r\n"
                      "Subject: [EXT] Hello  world\r\n"
                      "X-Tag: one\r\nX-TAG: three\r\nX-Spam: no\r\n\r\nBody line\r\nX-Tag: not a header\r\n");
}

BOOST_AUTO_TEST_CASE(long_values_are_folded) {
    std::string words;
    for (int i = 0; i < 400; ++i) words += "word" + std::to_string(i) + " ";
    std::string out = edit("\r\n", {add("X-Long", words)});
    std::size_t pos = 0, lines = 0;
    while (pos < out.size()) {
        auto end = out.find("\r\n", pos);
        BOOST_TEST(end - pos <= 998u);
        pos = end + 2;
        ++lines;
    }
    BOOST_TEST(lines > 3u);
    auto reparsed = parse_headers(out);
    BOOST_REQUIRE(reparsed.facts.fields.size() == 1u);
    BOOST_TEST(reparsed.facts.fields[0].value == words);
}
