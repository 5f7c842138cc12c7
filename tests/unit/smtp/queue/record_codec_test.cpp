// The queue's index record format: what goes in comes out, and anything that is not a whole record
// of a known version is an error (never a crash, an over-read or a huge allocation).
#define BOOST_TEST_MODULE queue record codec
#include <boost/test/unit_test.hpp>

#include <random>

#include "smtp/queue/crc32c.hpp"
#include "smtp/queue/record_codec.hpp"

using namespace mw::smtp::queue;

namespace {

IndexRecord sample() {
    IndexRecord r;
    r.info.id = "0123456789ABCDEF";
    r.info.state = MessageState::hold;
    r.info.next_attempt = 1700000000;
    r.info.size = 4242;
    r.info.delay_warned = true;
    Envelope& e = r.info.envelope;
    e.sender = "alice@example.com";
    e.dsn_ret = "HDRS";
    e.dsn_envid = "QQ314159";
    e.smtputf8 = true;
    e.body_8bit = false;
    e.client = "mail.example.net[192.0.2.7]";
    e.helo = "mail.example.net";
    e.connector = "Internet";
    e.arrival = -5;  // signed values survive
    e.recipients.push_back({"bob@example.com", "rfc822;bob@example.com", notify_failure | notify_delay,
                            RecipientState::failed, 3, "550 5.1.1 no such user"});
    e.recipients.push_back({"carol@example.com", "", notify_never, RecipientState::pending, 0, ""});
    e.recipients.push_back({std::string("d\0ve@example.com", 16), "", notify_default, RecipientState::delivered, 1,
                            "250 2.0.0 ok"});
    r.location = BodyLocation{7, 123456789012ull, 4242, 0xDEADBEEFu};
    return r;
}

void check_equal(const IndexRecord& a, const IndexRecord& b) {
    BOOST_TEST(a.info.id == b.info.id);
    BOOST_TEST((a.info.state == b.info.state));
    BOOST_TEST(a.info.next_attempt == b.info.next_attempt);
    BOOST_TEST(a.info.size == b.info.size);
    BOOST_TEST(a.info.delay_warned == b.info.delay_warned);
    BOOST_TEST((a.location == b.location));
    const Envelope &x = a.info.envelope, &y = b.info.envelope;
    BOOST_TEST(x.sender == y.sender);
    BOOST_TEST(x.dsn_ret == y.dsn_ret);
    BOOST_TEST(x.dsn_envid == y.dsn_envid);
    BOOST_TEST(x.smtputf8 == y.smtputf8);
    BOOST_TEST(x.body_8bit == y.body_8bit);
    BOOST_TEST(x.client == y.client);
    BOOST_TEST(x.helo == y.helo);
    BOOST_TEST(x.connector == y.connector);
    BOOST_TEST(x.arrival == y.arrival);
    BOOST_TEST_REQUIRE(x.recipients.size() == y.recipients.size());
    for (std::size_t i = 0; i < x.recipients.size(); ++i) {
        BOOST_TEST(x.recipients[i].address == y.recipients[i].address);
        BOOST_TEST(x.recipients[i].orcpt == y.recipients[i].orcpt);
        BOOST_TEST(x.recipients[i].notify == y.recipients[i].notify);
        BOOST_TEST((x.recipients[i].state == y.recipients[i].state));
        BOOST_TEST(x.recipients[i].attempts == y.recipients[i].attempts);
        BOOST_TEST(x.recipients[i].last_reply == y.recipients[i].last_reply);
    }
}

}  // namespace

BOOST_AUTO_TEST_CASE(round_trip) {
    IndexRecord r = sample();
    auto decoded = decode_record(r.info.id, encode_record(r));
    BOOST_TEST_REQUIRE(decoded.ok(), (decoded.ok() ? "" : decoded.error().detail));
    check_equal(r, *decoded);
}

BOOST_AUTO_TEST_CASE(round_trip_of_an_empty_envelope) {
    IndexRecord r;
    r.info.id = "0000000000000001";
    auto decoded = decode_record(r.info.id, encode_record(r));
    BOOST_TEST_REQUIRE(decoded.ok());
    check_equal(r, *decoded);
}

BOOST_AUTO_TEST_CASE(every_truncation_is_an_error) {
    std::string bytes = encode_record(sample());
    for (std::size_t n = 0; n < bytes.size(); ++n) {
        auto decoded = decode_record("0123456789ABCDEF", std::string_view(bytes).substr(0, n));
        BOOST_TEST(!decoded.ok(), "a record cut at " << n << " bytes decoded");
    }
}

BOOST_AUTO_TEST_CASE(trailing_bytes_unknown_version_and_bad_enums_are_errors) {
    std::string bytes = encode_record(sample());
    BOOST_TEST(!decode_record("X", bytes + "x").ok());
    std::string v2 = bytes;
    v2[0] = 2;
    auto decoded = decode_record("X", v2);
    BOOST_TEST_REQUIRE(!decoded.ok());
    BOOST_TEST(decoded.error().detail.find("version") != std::string::npos);
    std::string state = bytes;
    state[1 + 8 + 8 + 8 + 4] = 9;  // the message state byte
    BOOST_TEST(!decode_record("X", state).ok());
}

BOOST_AUTO_TEST_CASE(a_huge_recipient_count_is_refused_before_allocating) {
    IndexRecord r;
    r.info.id = "0000000000000001";
    std::string bytes = encode_record(r);
    // The count is the last four bytes of a record without recipients.
    for (std::size_t i = bytes.size() - 4; i < bytes.size(); ++i) bytes[i] = '\xff';
    BOOST_TEST(!decode_record(r.info.id, bytes).ok());
}

BOOST_AUTO_TEST_CASE(random_garbage_never_crashes) {
    std::mt19937 rng(42);
    std::string good = encode_record(sample());
    for (int round = 0; round < 20000; ++round) {
        std::string bytes = good;
        int flips = 1 + static_cast<int>(rng() % 8);
        for (int f = 0; f < flips; ++f) bytes[rng() % bytes.size()] = static_cast<char>(rng());
        if (rng() % 4 == 0) bytes.resize(rng() % bytes.size());
        (void)decode_record("0123456789ABCDEF", bytes);  // must not crash; ASan/UBSan watch the reads
    }
    for (int round = 0; round < 2000; ++round) {
        std::string bytes(rng() % 200, '\0');
        for (char& c : bytes) c = static_cast<char>(rng());
        if (!bytes.empty()) bytes[0] = record_version;
        (void)decode_record("0123456789ABCDEF", bytes);
    }
}

BOOST_AUTO_TEST_CASE(segment_keys_sort_numerically) {
    BOOST_TEST(segment_key(2) < segment_key(10));
    BOOST_TEST(segment_key(255) < segment_key(256));
    BOOST_TEST(*parse_segment_key(segment_key(0x0102030405060708ull)) == 0x0102030405060708ull);
    BOOST_TEST(!parse_segment_key("short").ok());
    BOOST_TEST(*decode_u64(encode_u64(12345)) == 12345u);
    BOOST_TEST(!decode_u64("1234567").ok());
}

BOOST_AUTO_TEST_CASE(crc32c_known_answers) {
    // RFC 3720 B.4 and the usual check value for "123456789".
    BOOST_TEST(crc32c("123456789") == 0xE3069283u);
    BOOST_TEST(crc32c(std::string(32, '\0')) == 0x8A9136AAu);
    BOOST_TEST(crc32c("6789", crc32c("12345")) == 0xE3069283u);
}
