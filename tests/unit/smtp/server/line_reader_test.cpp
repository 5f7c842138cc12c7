#define BOOST_TEST_MODULE smtp line reader
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "smtp/server/line_reader.hpp"

using mw::smtp::server::LineReader;
using mw::smtp::server::LineStatus;

namespace mw::smtp::server {
std::ostream& operator<<(std::ostream& os, LineStatus s) {
    constexpr const char* names[] = {"line", "need_more", "too_long", "bare_cr_lf"};
    return os << names[static_cast<int>(s)];
}
}  // namespace mw::smtp::server

namespace {

// Every line (or status other than need_more) the reader produces for `input` fed in `step`-byte
// pieces.
std::vector<std::string> read_all(std::string_view input, std::size_t step, std::size_t limit = 2048) {
    LineReader reader(limit);
    std::vector<std::string> out;
    for (std::size_t pos = 0; pos < input.size(); pos += step) {
        reader.feed(input.substr(pos, step));
        std::string line;
        while (true) {
            auto status = reader.next(line);
            if (status == LineStatus::need_more) break;
            if (status == LineStatus::line) out.push_back(line);
            else if (status == LineStatus::too_long) out.push_back("<too long>");
            else {
                out.push_back("<bare>");
                return out;
            }
        }
    }
    return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(lines_in_any_split) {
    std::string input = "EHLO a\r\nMAIL FROM:<a@b>\r\n\r\nNOOP\r\n";
    std::vector<std::string> expected = {"EHLO a", "MAIL FROM:<a@b>", "", "NOOP"};
    for (std::size_t step : {1, 2, 3, 5, 100}) BOOST_TEST(read_all(input, step) == expected, "step " << step);
}

BOOST_AUTO_TEST_CASE(bare_line_ends_are_refused) {
    for (std::string input : {"EHLO a\n", "EHLO a\rx\r\n", "\n", "\r\r\n", "NOOP\r\nRSET\n"}) {
        for (std::size_t step : {1, 100}) {
            auto lines = read_all(input, step);
            BOOST_REQUIRE(!lines.empty());
            BOOST_TEST(lines.back() == "<bare>", input);
        }
    }
}

BOOST_AUTO_TEST_CASE(pending_and_take) {
    LineReader reader;
    reader.feed("DATA\r\nSubject: x\r\n");
    std::string line;
    BOOST_TEST((reader.next(line) == LineStatus::line));
    BOOST_TEST(line == "DATA");
    BOOST_TEST(reader.pending() == "Subject: x\r\n");
    BOOST_TEST(reader.take(3) == "Sub");
    BOOST_TEST(reader.pending() == "ject: x\r\n");
    BOOST_TEST(reader.take(100) == "ject: x\r\n");
    BOOST_TEST(reader.empty());
    reader.feed("QUIT\r");
    BOOST_TEST((reader.next(line) == LineStatus::need_more));
    reader.clear();  // STARTTLS: nothing from before the handshake survives
    BOOST_TEST(reader.empty());
    reader.feed("\nNOOP\r\n");
    BOOST_TEST((reader.next(line) == LineStatus::bare_cr_lf));
}

BOOST_AUTO_TEST_CASE(take_after_a_partial_scan) {
    LineReader reader;
    reader.feed("BDAT 5\r\nab");
    std::string line;
    BOOST_TEST((reader.next(line) == LineStatus::line));
    BOOST_TEST((reader.next(line) == LineStatus::need_more));  // "ab" scanned
    reader.feed("c\r\nNOOP\r\n");
    BOOST_TEST(reader.take(5) == "abc\r\n");
    BOOST_TEST((reader.next(line) == LineStatus::line));
    BOOST_TEST(line == "NOOP");
}

BOOST_AUTO_TEST_CASE(limit_includes_crlf) {
    std::string fits(2046, 'a');
    BOOST_TEST(read_all(fits + "\r\n", 7) == std::vector<std::string>{fits});
    BOOST_TEST(read_all(fits + "\r\n", 5000) == std::vector<std::string>{fits});
    std::string too_long(2047, 'a');
    for (std::size_t step : {1, 7, 5000}) {
        auto lines = read_all(too_long + "\r\nNOOP\r\n", step);
        BOOST_TEST(lines == (std::vector<std::string>{"<too long>", "NOOP"}), "step " << step);
    }
    // A very long line is refused without being buffered, and the reader resyncs after it.
    LineReader reader(16);
    reader.feed(std::string(100, 'x'));
    std::string line;
    BOOST_TEST((reader.next(line) == LineStatus::too_long));
    BOOST_TEST(reader.pending().size() < 16u);
    reader.feed(std::string(100, 'y'));
    BOOST_TEST((reader.next(line) == LineStatus::need_more));
    BOOST_TEST(reader.pending().size() < 16u);
    reader.feed("yy\r\nRSET\r\n");
    BOOST_TEST((reader.next(line) == LineStatus::line));
    BOOST_TEST(line == "RSET");
}

BOOST_AUTO_TEST_CASE(too_long_line_ending_in_bare_lf) {
    LineReader reader(8);
    reader.feed("0123456789\nRSET\r\n");
    std::string line;
    BOOST_TEST((reader.next(line) == LineStatus::too_long));
    BOOST_TEST((reader.next(line) == LineStatus::line));
    LineReader skipping(8);
    skipping.feed("0123456789");
    BOOST_TEST((skipping.next(line) == LineStatus::too_long));
    skipping.feed("abc\nRSET\r\n");
    BOOST_TEST((skipping.next(line) == LineStatus::bare_cr_lf));
}

// Many pipelined commands, and one slow line: both linear, not quadratic.
BOOST_AUTO_TEST_CASE(big_pipelined_input_is_linear) {
    std::string input;
    for (int i = 0; i < 200000; ++i) input += "RCPT TO:<user" + std::to_string(i) + "@example.com>\r\n";
    LineReader reader;
    reader.feed(input);
    std::string line;
    std::size_t count = 0;
    while (reader.next(line) == LineStatus::line) ++count;
    BOOST_TEST(count == 200000u);
    BOOST_TEST(reader.empty());

    LineReader slow(1 << 20);
    for (int i = 0; i < 500000; ++i) {
        slow.feed("x");
        BOOST_REQUIRE((slow.next(line) == LineStatus::need_more));
    }
    slow.feed("\r\n");
    BOOST_TEST((slow.next(line) == LineStatus::line));
    BOOST_TEST(line.size() == 500000u);
    // A reader that rescanned its buffer on every feed would take minutes here: the suite's
    // per-test timeout (tests/CMakeLists.txt) stops it, without a timing check in the test.
}
