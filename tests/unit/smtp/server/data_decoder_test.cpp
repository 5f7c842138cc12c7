#define BOOST_TEST_MODULE smtp data decoder
#include <boost/test/unit_test.hpp>

#include <random>
#include <string>
#include <vector>

#include "smtp/server/data_decoder.hpp"

namespace mw::smtp::server {
std::ostream& operator<<(std::ostream& os, DataDecoder::Status s) {
    return os << (s == DataDecoder::Status::more ? "more" : s == DataDecoder::Status::done ? "done" : "bare_cr_lf");
}
}  // namespace mw::smtp::server

using mw::smtp::server::BdatChecker;
using mw::smtp::server::DataDecoder;
using Status = DataDecoder::Status;

namespace {

struct Outcome {
    Status status = Status::more;
    std::size_t consumed = 0;  // total bytes of the input used
    std::string message;
    std::uint64_t size = 0;
    bool too_long = false;
    bool oversize = false;
    bool operator==(const Outcome&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Outcome& o) {
    return os << "status=" << o.status << " consumed=" << o.consumed << " size=" << o.size
              << " message=" << o.message.size() << " bytes";
}

// Feeds `input` cut at `cuts` (ascending offsets), stopping at the first final status.
Outcome run(std::string_view input, const std::vector<std::size_t>& cuts, std::uint64_t max_size = 1 << 20) {
    DataDecoder decoder(max_size);
    Outcome o;
    std::size_t start = 0;
    std::vector<std::size_t> ends = cuts;
    ends.push_back(input.size());
    for (std::size_t end : ends) {
        if (end < start) continue;
        auto step = decoder.feed(input.substr(start, end - start));
        o.status = step.status;
        if (step.status == Status::more) {
            BOOST_REQUIRE_EQUAL(step.consumed, end - start);
            o.consumed = end;
        } else {
            o.consumed = start + step.consumed;
            break;
        }
        start = end;
    }
    o.message = decoder.message();
    o.size = decoder.size();
    o.too_long = decoder.line_too_long();
    o.oversize = decoder.oversize();
    return o;
}

Outcome whole(std::string_view input, std::uint64_t max_size = 1 << 20) { return run(input, {}, max_size); }

Outcome bytewise(std::string_view input, std::uint64_t max_size = 1 << 20) {
    std::vector<std::size_t> cuts;
    for (std::size_t i = 1; i < input.size(); ++i) cuts.push_back(i);
    return run(input, cuts, max_size);
}

Outcome random_splits(std::string_view input, std::mt19937& rng, std::uint64_t max_size = 1 << 20) {
    std::vector<std::size_t> cuts;
    std::uniform_int_distribution<std::size_t> step(1, 7);
    for (std::size_t i = step(rng); i < input.size(); i += step(rng)) cuts.push_back(i);
    return run(input, cuts, max_size);
}

// The same outcome however the input is split.
Outcome check_all_splits(std::string_view input, std::uint64_t max_size = 1 << 20) {
    Outcome reference = whole(input, max_size);
    BOOST_TEST(bytewise(input, max_size) == reference);
    std::mt19937 rng(42);
    for (int i = 0; i < 20; ++i) BOOST_TEST(random_splits(input, rng, max_size) == reference);
    // Every single cut point, too.
    for (std::size_t cut = 1; cut < input.size(); ++cut) BOOST_TEST(run(input, {cut}, max_size) == reference);
    return reference;
}

}  // namespace

BOOST_AUTO_TEST_CASE(simple_message_ends_at_crlf_dot_crlf) {
    std::string input = "Subject: x\r\n\r\nhello\r\n.\r\nQUIT\r\n";
    auto o = check_all_splits(input);
    BOOST_TEST(o.status == Status::done);
    BOOST_TEST(o.message == "Subject: x\r\n\r\nhello\r\n");
    BOOST_TEST(o.consumed == input.size() - 6);  // "QUIT\r\n" is the next command
    BOOST_TEST(o.size == o.message.size());
}

BOOST_AUTO_TEST_CASE(first_line_dot_is_an_empty_message) {
    auto o = check_all_splits(".\r\nRSET\r\n");
    BOOST_TEST(o.status == Status::done);
    BOOST_TEST(o.message.empty());
    BOOST_TEST(o.consumed == 3u);
}

BOOST_AUTO_TEST_CASE(dot_unstuffing) {
    auto o = check_all_splits("..\r\n...x\r\n.y\r\na.b\r\n..\r\n.\r\n");
    BOOST_TEST(o.status == Status::done);
    BOOST_TEST(o.message == ".\r\n..x\r\ny\r\na.b\r\n.\r\n");
}

BOOST_AUTO_TEST_CASE(incomplete_message_wants_more) {
    for (std::string input : {"abc", "abc\r", "abc\r\n", "abc\r\n.", "abc\r\n.\r", "\r\n..", ".x"}) {
        auto o = check_all_splits(input);
        BOOST_TEST(o.status == Status::more, input);
        BOOST_TEST(o.consumed == input.size());
    }
}

BOOST_AUTO_TEST_CASE(later_feeds_after_done_consume_nothing) {
    DataDecoder d(100);
    BOOST_TEST((d.feed("a\r\n.\r\n").status == Status::done));
    auto step = d.feed("b\r\n.\r\n");
    BOOST_TEST((step.status == Status::done));
    BOOST_TEST(step.consumed == 0u);
    BOOST_TEST(d.message() == "a\r\n");
}

namespace {

std::string escape(std::string_view s) {
    std::string out;
    for (char c : s) {
        if (c == '\r') out += "\\r";
        else if (c == '\n') out += "\\n";
        else if (c == '\0') out += "\\0";
        else if (c == '\t') out += "\\t";
        else out += c;
    }
    return out;
}

bool has_bare_cr_or_lf(std::string_view s) {
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r')) return true;
        if (s[i] == '\r' && (i + 1 == s.size() || s[i + 1] != '\n')) return true;
    }
    return false;
}

}  // namespace

// SMTP smuggling (the published sequences, 2023): none may end the message, and each with a bare
// CR or LF must be refused before the real end is reached.
BOOST_AUTO_TEST_CASE(smuggling_sequences_are_refused) {
    using namespace std::string_literals;
    const std::vector<std::string> sequences = {
        "\n.\r\n"s, "\r.\n"s, "\n.\n"s, "\r.\r"s, "\r\n.\n"s, "\n.\r"s, "\r\n.\r"s, "\r.\r\n"s,
        "\r\n.\r\r\n"s, "\r\n.\n\r\n"s, "\n"s, "\r"s, "\r\n\n.\r\n"s, "\r\n\r.\r\n"s, "\n.\r\n"s,
        "\x00\n.\r\n"s, " \n.\r\n"s, "\r\n \n.\r\n"s, "\r\n.\r\x00\n"s, "\r\n.\x00\n"s, "\n\x00.\r\n"s,
        "\r\n.\r \n"s, "\r \n.\r\n"s, "\r\n\t.\n"s,
        // Well formed: a line ". ", ".\t" or ".\0" is content, not the end.
        "\r\n. \r\n"s, "\r\n.\t\r\n"s, "\r\n.\x00\r\n"s, "\r\n\x00.\r\n"s, "\r\n .\r\n"s,
    };
    for (const auto& sequence : sequences) {
        BOOST_TEST_CONTEXT("sequence " << escape(sequence)) {
            std::string smuggled = "Subject: hi\r\n\r\nbody" + sequence + "MAIL FROM:<evil@example.com>\r\n";
            std::string input = smuggled + "\r\n.\r\n";
            auto o = check_all_splits(input);
            if (has_bare_cr_or_lf(sequence)) {
                BOOST_TEST((o.status == Status::bare_cr_lf));
                BOOST_TEST(o.consumed <= smuggled.size());
                // Refused at the first bare byte, never after the smuggled command.
                BOOST_TEST(o.consumed <= smuggled.size() - 30);
            } else {
                BOOST_TEST((o.status == Status::done));
                BOOST_TEST(o.consumed == input.size());
                BOOST_TEST(o.message.find("MAIL FROM") != std::string::npos);
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(bare_line_ends_at_the_start) {
    using namespace std::string_literals;
    for (std::string input : {"\n.\r\n"s, "\r.\r\n"s, ".\n"s, ".\r.\r\n"s, "\r\n"s + "\n"s}) {
        BOOST_TEST_CONTEXT(escape(input)) {
            BOOST_TEST((check_all_splits(input).status == Status::bare_cr_lf));
        }
    }
}

BOOST_AUTO_TEST_CASE(refusal_is_final) {
    DataDecoder d(100);
    BOOST_TEST((d.feed("a\n").status == Status::bare_cr_lf));
    BOOST_TEST((d.feed("\r\n.\r\n").status == Status::bare_cr_lf));
}

BOOST_AUTO_TEST_CASE(oversize_content_is_counted_not_kept) {
    std::string input = "0123456789\r\n0123456789\r\n.\r\n";
    auto o = check_all_splits(input, 15);
    BOOST_TEST((o.status == Status::done));
    BOOST_TEST(o.oversize);
    BOOST_TEST(o.size == 24u);
    BOOST_TEST(o.message == "0123456789\r\n012");
    auto fits = check_all_splits(input, 24);
    BOOST_TEST(!fits.oversize);
    BOOST_TEST(fits.message.size() == 24u);
}

BOOST_AUTO_TEST_CASE(line_length_limit_includes_crlf) {
    std::string ok(998, 'a');
    auto o = check_all_splits(ok + "\r\n.\r\n");
    BOOST_TEST(!o.too_long);
    auto stuffed = check_all_splits("." + std::string(997, 'a') + "\r\n.\r\n");
    BOOST_TEST(!stuffed.too_long);
    auto long_line = check_all_splits(std::string(999, 'a') + "\r\nshort\r\n.\r\n");
    BOOST_TEST(long_line.too_long);
    BOOST_TEST((long_line.status == Status::done));  // decoding goes on
    BOOST_TEST(long_line.message.size() == 999u + 2 + 7);
    BOOST_TEST(check_all_splits("." + std::string(998, 'a') + "\r\n.\r\n").too_long);
}

// Property: any message of CRLF lines, dot-stuffed by the client, comes back exactly.
BOOST_AUTO_TEST_CASE(random_messages_round_trip) {
    std::mt19937 rng(20231218);
    const std::string alphabet = "ab. \t.:x\x01";
    for (int round = 0; round < 300; ++round) {
        std::string original;
        int lines = std::uniform_int_distribution<int>(0, 12)(rng);
        for (int l = 0; l < lines; ++l) {
            int length = std::uniform_int_distribution<int>(0, 8)(rng);
            std::string line;
            for (int k = 0; k < length; ++k)
                line += alphabet[std::uniform_int_distribution<std::size_t>(0, alphabet.size() - 1)(rng)];
            if (std::uniform_int_distribution<int>(0, 3)(rng) == 0) line.insert(0, ".");
            original += line + "\r\n";
        }
        // RFC 5321 4.5.2, the client's side: every line starting with "." gets one more.
        std::string wire;
        bool line_start = true;
        for (char c : original) {
            if (line_start && c == '.') wire += '.';
            wire += c;
            line_start = c == '\n';
        }
        wire += ".\r\nNOOP\r\n";
        Outcome o = whole(wire);
        BOOST_REQUIRE((o.status == Status::done));
        BOOST_TEST(o.message == original);
        BOOST_TEST(o.consumed == wire.size() - 6);
        BOOST_TEST(random_splits(wire, rng) == o);
        if (round % 10 == 0) BOOST_TEST(bytewise(wire) == o);
    }
}

BOOST_AUTO_TEST_CASE(bdat_checker_across_chunks) {
    BdatChecker ok;
    BOOST_TEST(ok.feed("line one\r"));
    BOOST_TEST(ok.feed("\nline two\r\n"));
    BOOST_TEST(ok.feed("no end"));
    BOOST_TEST(ok.finish());

    BdatChecker pending_cr;
    BOOST_TEST(pending_cr.feed("text\r"));
    BOOST_TEST(!pending_cr.finish());

    BdatChecker bare_cr;
    BOOST_TEST(bare_cr.feed("a\r"));
    BOOST_TEST(!bare_cr.feed("b"));

    BdatChecker bare_lf;
    BOOST_TEST(!bare_lf.feed("a\nb"));

    BdatChecker long_line;
    BOOST_TEST(long_line.feed(std::string(500, 'x')));
    BOOST_TEST(!long_line.line_too_long());
    BOOST_TEST(long_line.feed(std::string(499, 'x') + "\r\n"));
    BOOST_TEST(long_line.line_too_long());

    BdatChecker limit;
    BOOST_TEST(limit.feed(std::string(998, 'x') + "\r\n" + std::string(998, 'y') + "\r\n"));
    BOOST_TEST(!limit.line_too_long());
}
