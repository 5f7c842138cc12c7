#define BOOST_TEST_MODULE regex
#include <boost/test/unit_test.hpp>

#include <string>
#include <thread>
#include <vector>

#include "policy/regex.hpp"

using mw::Regex;

namespace {

Regex compiled(std::string_view pattern) {
    std::string error;
    std::size_t offset = 99;
    auto r = Regex::compile(pattern, error, offset);
    BOOST_TEST_REQUIRE(r.has_value(), "'" << pattern << "': " << error);
    BOOST_TEST(error.empty());
    return *r;
}

bool matches(const Regex& r, std::string_view subject) {
    auto result = r.search(subject);
    BOOST_TEST_REQUIRE(result.ok(), (result.ok() ? "" : result.error().detail));
    return *result;
}

}  // namespace

BOOST_AUTO_TEST_CASE(search_finds_anywhere) {
    auto r = compiled("(?i)invoice");
    BOOST_TEST(r.pattern() == "(?i)invoice");
    BOOST_TEST(matches(r, "Your INVOICE 42"));
    BOOST_TEST(matches(r, "invoice"));
    BOOST_TEST(!matches(r, "receipt"));
    BOOST_TEST(!matches(r, ""));
    BOOST_TEST(!matches(r, std::string_view()));
    BOOST_TEST(matches(compiled("^$"), std::string_view()));
}

BOOST_AUTO_TEST_CASE(anchors_and_classes) {
    auto r = compiled("^\\[EXTERNAL\\] ");
    BOOST_TEST(matches(r, "[EXTERNAL] hello"));
    BOOST_TEST(!matches(r, "Re: [EXTERNAL] hello"));
    BOOST_TEST(matches(compiled("\\d{3}-\\d{4}"), "call 555-1234 now"));
}

BOOST_AUTO_TEST_CASE(utf8_patterns_and_subjects) {
    auto r = compiled("(?i)RÉSUMÉ");
    BOOST_TEST(matches(r, "mon résumé"));
    BOOST_TEST(matches(compiled("^.{3}$"), "äöü"));  // characters, not bytes
}

BOOST_AUTO_TEST_CASE(invalid_utf8_subject_is_matched_not_refused) {
    auto r = compiled("invoice");
    BOOST_TEST(matches(r, "\xff\xfe invoice \xc3"));
    BOOST_TEST(!matches(r, "\xff\xfe receipt \xc3"));
    // A Latin-1 byte is not a character: "." does not match it, but the valid text around it does.
    BOOST_TEST(!matches(compiled("caf."), "caf\xe9"));
    BOOST_TEST(matches(compiled("^caf"), "caf\xe9 au lait"));
    BOOST_TEST(matches(compiled("au lait$"), "caf\xe9 au lait"));
}

BOOST_AUTO_TEST_CASE(compile_errors_give_text_and_offset) {
    std::string error;
    std::size_t offset = 0;
    BOOST_TEST(!Regex::compile("abc(def", error, offset).has_value());
    BOOST_TEST(error == "missing closing parenthesis");
    BOOST_TEST(offset == 7u);

    BOOST_TEST(!Regex::compile("a{2,1}", error, offset).has_value());
    BOOST_TEST(error == "numbers out of order in {} quantifier");
    BOOST_TEST(offset == 5u);

    BOOST_TEST(!Regex::compile("ab[", error, offset).has_value());
    BOOST_TEST(error == "missing terminating ] for character class");
    BOOST_TEST(offset == 3u);

    // The pattern itself must be valid UTF-8.
    BOOST_TEST(!Regex::compile("ab\xff", error, offset).has_value());
    BOOST_TEST(!error.empty());
    BOOST_TEST(offset == 2u);
}

BOOST_AUTO_TEST_CASE(catastrophic_backtracking_is_an_error_not_a_hang) {
    auto r = compiled("^(a+)+$");
    std::string subject(40, 'a');
    subject += '!';
    auto result = r.search(subject);
    BOOST_TEST_REQUIRE(!result.ok());
    BOOST_TEST(result.error().origin == "pcre2 match");
    const std::string& detail = result.error().detail;
    BOOST_TEST(detail.find("limit") != std::string::npos, detail);
}

BOOST_AUTO_TEST_CASE(long_subjects_within_limits_match) {
    auto r = compiled("(?i)invoice");
    std::string subject(1 << 20, 'x');
    BOOST_TEST(!matches(r, subject));
    subject += "INVOICE";
    BOOST_TEST(matches(r, subject));
}

BOOST_AUTO_TEST_CASE(copies_share_the_code_and_threads_may_match_at_once) {
    auto r = compiled("b+c");
    Regex copy = r;
    BOOST_TEST(matches(copy, "abbbc"));
    std::vector<std::thread> threads;
    std::vector<int> hits(4, 0);
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < 1000; ++i) {
                auto m = r.search(i % 2 ? "abbbc" : "abd");
                if (m.ok() && *m) ++hits[static_cast<std::size_t>(t)];
            }
        });
    for (auto& t : threads) t.join();
    for (int h : hits) BOOST_TEST(h == 500);
}

BOOST_AUTO_TEST_CASE(a_default_regex_fails_closed) {
    Regex never;
    auto result = never.search("x");
    BOOST_TEST(!result.ok());
}
