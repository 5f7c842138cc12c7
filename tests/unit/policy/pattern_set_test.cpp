// PatternSet: the multi-pattern scan must give exactly PCRE2's answer for every pattern and value
// (Hyperscan only prefilters), texts are case-insensitive ASCII substrings, errors fail closed, and
// scans from several threads at once agree.
#define BOOST_TEST_MODULE pattern_set
#include <boost/test/unit_test.hpp>

#include <thread>

#include "policy/pattern_set.hpp"
#include "policy/utf8_check.hpp"

using namespace mw;
using namespace mw::policy;

namespace {

Regex regex(const std::string& pattern) {
    std::string error;
    std::size_t offset = 0;
    auto re = Regex::compile(pattern, error, offset);
    BOOST_TEST_REQUIRE(re.has_value(), pattern << ": " << error);
    return *re;
}

const std::vector<std::string> patterns = {
    "^spam", "win$", "(?i)invoice", "(?i)ticket #17\\b", "a.c", "^.{3}$", "[^a]", "^[^a]$", "\\bword\\b",
    "\\W", "a\\Wb", "(foo|bar)+baz", "x*", "^$", "(?i)\\bkill\\b", "(?i)ssn", "(?i)\xc3\xa9" "cole", "\xc3\xa9",
    "(a)\\1", "foo(?=bar)", "(?<!x)y", "a++b", "(?>ab)c", "\\d{3}-\\d{4}", "(?i)^x-spam-[a-z]+: *yes",
    "end\\z", "line$", "(?s)a.b", "(?m)^second", "\\x{e9}", "[[:alpha:]]+\\d", "(?i:ABC)def", "colou?r",
    "(?x) a b c ", "\\.exe$", "^(a+)+$", "[\\x{100}-\\x{200}]", "\\p{Lu}", "(?i)stra\xc3\x9f" "e", "\\Qa.b\\E",
    // caseless, with the k or s only in a range or an escape, or behind ^ or -
    "(?i)[j-l]ill", "(?i)\\x6bill", "(?i)^\\163sn", "(?^i)[r-t]sn", "(?m-x)(?i)[a-z]ill now",
};

const std::vector<std::string> subjects = {
    "spam and eggs", "you win", "Your INVOICE", "ticket #17 done", "ticket #170", "abc", "a\xc3\xa9" "c",
    "\xc3\xa9\xc3\xa9\xc3\xa9", "abb", "\xc3\xa9", "a word here", "a\xc3\xa9" "b", "foobarbaz", "", "KILL",
    "\xe2\x84\xaaill now", "\xc5\xbfsn", "\xc5\xbfsn and \xc3\xa9", "Kill \xe2\x84\xaa", "\xc3\x89" "COLE", "aa", "foobar", "xy", "zy", "aab", "abc",
    "555-1234", "X-Spam-Flag: YES", "the end", "a line\n", "a\nb", "first\nsecond", "Ab1", "ABCdef",
    "abcDEF", "color", "abc", "evil.exe", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", "\xc4\x80", "\xc3\x84",
    "STRASSE", "a.b", "bad \xff byte spam", "\xc0\xaf overlong", "win\n", "\xed\xa0\x80 surrogate",
};

std::string describe(const std::string& s) {
    std::string out;
    for (unsigned char c : s) {
        if (c < 0x20 || c >= 0x7f) {
            char hex[5];
            std::snprintf(hex, sizeof hex, "\\x%02x", c);
            out += hex;
        } else {
            out += static_cast<char>(c);
        }
    }
    return out;
}

}  // namespace

// The differential test: for every pattern and subject, the set's answer is Regex::search's.
BOOST_AUTO_TEST_CASE(same_answer_as_pcre2) {
    PatternSet set;
    std::vector<Regex> compiled;
    for (const auto& p : patterns) {
        compiled.push_back(regex(p));
        set.add_regex(compiled.back());
    }
    BOOST_TEST_REQUIRE(set.compile().ok());
    BOOST_TEST(set.pcre2_only() < patterns.size());  // most go through Hyperscan
    BOOST_TEST(set.pcre2_only() > 0u);               // back-references cannot
    for (const auto& subject : subjects) {
        PatternHits hits;
        hits.reset(set.size());
        set.scan(subject, hits);
        for (PatternId id = 0; id < patterns.size(); ++id) {
            auto expected = compiled[id].search(subject);
            if (!expected) {
                // PCRE2 gave up (its match limit): the set fails closed too, or Hyperscan proved that
                // nothing can match (a prefilter never misses a match), which is the true answer.
                BOOST_TEST(!hits.matched(id), describe(patterns[id]) << " on " << describe(subject));
                continue;
            }
            BOOST_TEST(hits.matched(id) == *expected,
                       "pattern " << describe(patterns[id]) << " on '" << describe(subject) << "': PCRE2 says "
                                  << *expected);
        }
    }
}

// A set left uncompiled (how rules load for the benchmark's baseline) tries each pattern in turn
// and gives the same answers.
BOOST_AUTO_TEST_CASE(an_uncompiled_set_tries_every_pattern) {
    PatternSet set;
    PatternId a = set.add_regex(regex("^tag-[0-9]+$"));
    PatternId b = set.add_text("Gift Card");
    PatternId c = set.add_regex(regex("(?i)invoice"));
    PatternHits hits;
    hits.reset(set.size());
    set.scan("tag-17", hits);
    set.scan("your GIFT card", hits);
    BOOST_TEST(hits.matched(a));
    BOOST_TEST(hits.matched(b));
    BOOST_TEST(!hits.matched(c));
    BOOST_TEST(!hits.failed(c));
}

BOOST_AUTO_TEST_CASE(texts_are_case_insensitive_ascii_substrings) {
    PatternSet set;
    PatternId gift = set.add_text("Gift Card");
    PatternId e_acute = set.add_text("\xc3\xa9t\xc3\xa9");
    PatternId re = set.add_regex(regex("^never$"));
    BOOST_TEST_REQUIRE(set.compile().ok());
    BOOST_TEST(gift == 0u);
    BOOST_TEST(re == 2u);
    auto scan = [&](std::vector<std::string_view> values) {
        PatternHits hits;
        hits.reset(set.size());
        set.scan(values, hits);
        return hits;
    };
    BOOST_TEST(scan({"buy a GIFT card now"}).matched(gift));
    BOOST_TEST(!scan({"buy a GIFT-card now"}).matched(gift));
    BOOST_TEST(scan({"x", "un \xc3\xa9t\xc3\xa9 chaud"}).matched(e_acute));
    BOOST_TEST(!scan({"un \xc3\x89T\xc3\x89 chaud"}).matched(e_acute));  // ASCII case only, as icontains
    BOOST_TEST(scan({"bad \xff bytes gift card"}).matched(gift));
    BOOST_TEST(!scan({"never mind"}).matched(re));
}

BOOST_AUTO_TEST_CASE(a_failing_pattern_fails_closed) {
    PatternSet set;
    PatternId broken = set.add_regex(Regex{});  // never compiled by PCRE2: every match fails
    // Catastrophic backtracking; the code-point escape keeps it with PCRE2 alone, which gives up.
    PatternId limit = set.add_regex(regex("^(a+)+\\x{e9}?$"));
    BOOST_TEST_REQUIRE(set.compile().ok());
    PatternHits hits;
    hits.reset(set.size());
    set.scan(std::string(40, 'a') + "b", hits);
    BOOST_TEST(hits.failed(broken));
    BOOST_TEST(hits.failed(limit));  // PCRE2's match limit
    BOOST_TEST(!hits.matched(limit));
}

BOOST_AUTO_TEST_CASE(threads_scan_at_once) {
    PatternSet set;
    for (int i = 0; i < 200; ++i) set.add_regex(regex("(?i)ticket #" + std::to_string(i) + "\\b"));
    for (int i = 0; i < 200; ++i) set.add_text("project-" + std::to_string(i) + "-x");
    BOOST_TEST_REQUIRE(set.compile().ok());
    std::vector<int> wrong(4, 0);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int round = 0; round < 300; ++round) {
                int n = (round * 7 + t) % 200;
                std::string value = "re: Ticket #" + std::to_string(n) + " and project-" + std::to_string(n) + "-x";
                PatternHits hits;
                hits.reset(set.size());
                set.scan(value, hits);
                for (int i = 0; i < 200; ++i) {
                    if (hits.matched(static_cast<PatternId>(i)) != (i == n)) ++wrong[t];
                    if (hits.matched(static_cast<PatternId>(200 + i)) != (i == n)) ++wrong[t];
                }
            }
        });
    }
    for (auto& th : threads) th.join();
    for (int t = 0; t < 4; ++t) BOOST_TEST(wrong[t] == 0);
}

BOOST_AUTO_TEST_CASE(utf8_validation) {
    BOOST_TEST(valid_utf8("plain"));
    BOOST_TEST(valid_utf8("\xc3\xa9\xe2\x84\xaa\xf0\x9f\x98\x80"));
    BOOST_TEST(!valid_utf8("\xff"));
    BOOST_TEST(!valid_utf8("\xc0\xaf"));          // overlong
    BOOST_TEST(!valid_utf8("\xed\xa0\x80"));      // surrogate
    BOOST_TEST(!valid_utf8("\xf4\x90\x80\x80"));  // above U+10FFFF
    BOOST_TEST(!valid_utf8("\xc3"));              // cut
}

// The eight-byte ASCII stride must not step over a bad byte in the middle of a long value, nor
// miss one in the tail shorter than a stride.
BOOST_AUTO_TEST_CASE(utf8_classes_of_long_values) {
    const std::string ascii(1000, 'a');
    BOOST_TEST((classify_utf8(ascii) == Utf8Kind::ascii));
    BOOST_TEST((classify_utf8("") == Utf8Kind::ascii));
    for (std::size_t at : {0u, 1u, 2u, 3u, 4u, 5u, 6u, 7u, 8u, 500u, 996u, 999u}) {
        BOOST_TEST_CONTEXT("at " << at) {
            std::string bad = ascii;
            bad[at] = '\xff';
            BOOST_TEST((classify_utf8(bad) == Utf8Kind::invalid));
            std::string multi = ascii;
            multi.replace(at, 1, "\xc3\xa9");
            BOOST_TEST((classify_utf8(multi) == Utf8Kind::multibyte));
            std::string cut = ascii.substr(0, at) + "\xc3";
            BOOST_TEST((classify_utf8(cut) == Utf8Kind::invalid));
            std::string short_tail = ascii.substr(0, at) + "\xc3\xa9" "ab\xff";  // the bad byte after a good one
            BOOST_TEST((classify_utf8(short_tail) == Utf8Kind::invalid));
            std::string good_then_bad = multi + "\x80";  // a continuation byte with no lead
            BOOST_TEST((classify_utf8(good_then_bad) == Utf8Kind::invalid));
        }
    }
}
