#define BOOST_TEST_MODULE smtp delivery dsn message
#include <boost/test/unit_test.hpp>

#include "smtp/delivery/dsn_message.hpp"
#include "smtp/queue/record_codec.hpp"
#include "smtp/server/command_parser.hpp"

using namespace mw::smtp::delivery;
namespace q = mw::smtp::queue;

namespace {

const std::string original =
    "Received: from client.example.net\r\nFrom: <alice@example.net>\r\nSubject: report\r\n\r\nbody line\r\n";

q::Envelope envelope() {
    q::Envelope e;
    e.sender = "alice@example.net";
    e.arrival = 1'700'000'000;
    q::Recipient r;
    r.address = "bob@example.com";
    e.recipients.push_back(r);
    return e;
}

DsnRequest request(DsnKind kind) {
    DsnRequest r;
    r.kind = kind;
    r.hostname = "mx.example.com";
    r.queue_id = "0123456789ABCDEF";
    r.now = 1'700'000'100;
    r.retry_until = 1'700'432'000;
    r.recipients.push_back({"bob@example.com", "", "5.2.0", "550 5.2.0 mailbox unavailable", "", false});
    return r;
}

std::string boundary_of(const std::string& body) {
    auto at = body.find("boundary=\"");
    BOOST_TEST_REQUIRE(at != std::string::npos);
    at += 10;
    return body.substr(at, body.find('"', at) - at);
}

std::size_t count(const std::string& hay, const std::string& needle) {
    std::size_t n = 0;
    for (auto at = hay.find(needle); at != std::string::npos; at = hay.find(needle, at + 1)) ++n;
    return n;
}

// The three parts between the boundaries (each with its MIME headers).
std::vector<std::string> parts(const std::string& body) {
    const std::string b = "--" + boundary_of(body);
    std::vector<std::string> out;
    auto at = body.find(b + "\r\n");
    while (at != std::string::npos) {
        auto start = at + b.size() + 2;
        auto next = body.find("\r\n" + b, start);
        BOOST_TEST_REQUIRE(next != std::string::npos);
        out.push_back(body.substr(start, next - start));
        at = body.compare(next + 2, b.size() + 4, b + "--\r\n") == 0 ? std::string::npos : next + 2;
    }
    return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(failure_report_structure) {
    auto dsn = build_dsn(request(DsnKind::failure), envelope(), original);
    const std::string& b = dsn.body;
    BOOST_TEST(dsn.envelope.sender == "");
    BOOST_TEST_REQUIRE(dsn.envelope.recipients.size() == 1u);
    BOOST_TEST(dsn.envelope.recipients[0].address == "alice@example.net");
    BOOST_TEST(dsn.envelope.recipients[0].notify == q::notify_never);

    const std::string headers = b.substr(0, b.find("\r\n\r\n") + 2);
    BOOST_TEST(headers.find("Date: Tue, 14 Nov 2023 22:15:00 +0000\r\n") != std::string::npos);
    BOOST_TEST(headers.find("From: Mail Delivery System <MAILER-DAEMON@mx.example.com>\r\n") != std::string::npos);
    BOOST_TEST(headers.find("To: <alice@example.net>\r\n") != std::string::npos);
    BOOST_TEST(headers.find("Subject: Undelivered Mail Returned to Sender\r\n") != std::string::npos);
    BOOST_TEST(headers.find("Message-ID: <") != std::string::npos);
    BOOST_TEST(headers.find("@mx.example.com>\r\n") != std::string::npos);
    BOOST_TEST(headers.find("Auto-Submitted: auto-replied\r\n") != std::string::npos);
    BOOST_TEST(headers.find("MIME-Version: 1.0\r\n") != std::string::npos);
    BOOST_TEST(headers.find("Content-Type: multipart/report; report-type=delivery-status;") != std::string::npos);

    // CRLF only.
    for (std::size_t i = 0; i < b.size(); ++i) {
        if (b[i] == '\n') BOOST_TEST_REQUIRE((i > 0 && b[i - 1] == '\r'));
        if (b[i] == '\r') BOOST_TEST_REQUIRE((i + 1 < b.size() && b[i + 1] == '\n'));
    }
    const std::string boundary = boundary_of(b);
    BOOST_TEST(original.find(boundary) == std::string::npos);
    BOOST_TEST(count(b, "--" + boundary + "\r\n") == 3u);
    BOOST_TEST(count(b, "--" + boundary + "--\r\n") == 1u);
    BOOST_TEST(b.ends_with("--" + boundary + "--\r\n"));

    auto p = parts(b);
    BOOST_TEST_REQUIRE(p.size() == 3u);
    BOOST_TEST(p[0].find("Content-Type: text/plain; charset=us-ascii\r\n") != std::string::npos);
    BOOST_TEST(p[0].find("<bob@example.com>: 550 5.2.0 mailbox unavailable") != std::string::npos);

    BOOST_TEST(p[1].starts_with("Content-Description: Delivery report\r\nContent-Type: message/delivery-status\r\n\r\n"));
    BOOST_TEST(p[1].find("Reporting-MTA: dns; mx.example.com\r\n") != std::string::npos);
    BOOST_TEST(p[1].find("X-Mailwarden-Queue-ID: 0123456789ABCDEF\r\n") != std::string::npos);
    BOOST_TEST(p[1].find("Arrival-Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n") != std::string::npos);
    BOOST_TEST(p[1].find("Original-Envelope-Id:") == std::string::npos);
    BOOST_TEST(p[1].find("Original-Recipient:") == std::string::npos);
    BOOST_TEST(p[1].find("\r\n\r\nFinal-Recipient: rfc822; bob@example.com\r\nAction: failed\r\nStatus: 5.2.0\r\n"
                         "Diagnostic-Code: smtp; 550 5.2.0 mailbox unavailable\r\n") != std::string::npos);
    BOOST_TEST(p[1].find("Will-Retry-Until") == std::string::npos);

    BOOST_TEST(p[2].starts_with("Content-Description: Undelivered Message\r\nContent-Type: message/rfc822\r\n\r\n"));
    BOOST_TEST(p[2].find(original) != std::string::npos);  // RET not given: the whole message
}

BOOST_AUTO_TEST_CASE(ret_hdrs_returns_headers_only) {
    auto e = envelope();
    e.dsn_ret = "HDRS";
    auto p = parts(build_dsn(request(DsnKind::failure), e, original).body);
    BOOST_TEST_REQUIRE(p.size() == 3u);
    BOOST_TEST(p[2].find("Content-Type: text/rfc822-headers\r\n") != std::string::npos);
    BOOST_TEST(p[2].find("Subject: report\r\n") != std::string::npos);
    BOOST_TEST(p[2].find("body line") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(ret_full_returns_the_message) {
    auto e = envelope();
    e.dsn_ret = "FULL";
    auto p = parts(build_dsn(request(DsnKind::failure), e, original).body);
    BOOST_TEST_REQUIRE(p.size() == 3u);
    BOOST_TEST(p[2].find("message/rfc822") != std::string::npos);
    BOOST_TEST(p[2].find("body line") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(envid_and_orcpt_are_reported_decoded) {
    auto e = envelope();
    e.dsn_envid = "QQ314159";
    auto r = request(DsnKind::failure);
    r.recipients[0].orcpt = "rfc822;bob+2Blists@example.com";
    auto p = parts(build_dsn(r, e, original).body);
    BOOST_TEST_REQUIRE(p.size() == 3u);
    BOOST_TEST(p[1].find("Original-Envelope-Id: QQ314159\r\n") != std::string::npos);
    BOOST_TEST(p[1].find("\r\n\r\nOriginal-Recipient: rfc822; bob+lists@example.com\r\n"
                         "Final-Recipient: rfc822; bob@example.com\r\n") != std::string::npos);
}

// Issue 12: ORCPT was decoded by the command parser and again by the report, so "a+2B2B" (the
// client's "a+2B") came out as "a+". It now stays xtext from RCPT TO through the queue's record to
// the report, which decodes it once.
BOOST_AUTO_TEST_CASE(orcpt_is_decoded_once_from_rcpt_to_the_report) {
    auto parsed = mw::smtp::server::parse_rcpt_to(
        "TO:<alice@example.com> NOTIFY=SUCCESS ORCPT=rfc822;a+2B2B@example.com", false);
    auto* rcpt = std::get_if<mw::smtp::server::RcptTo>(&parsed);
    BOOST_TEST_REQUIRE(rcpt);
    BOOST_TEST(rcpt->orcpt == "rfc822;a+2B2B@example.com");

    q::IndexRecord record;
    record.info.id = "0123456789ABCDEF";
    record.info.envelope = envelope();
    record.info.envelope.recipients[0] = {rcpt->recipient.str(), rcpt->orcpt, rcpt->notify, {}, {}, {}};
    auto stored = q::decode_record(record.info.id, q::encode_record(record));
    BOOST_TEST_REQUIRE(stored.ok());
    const q::Recipient& queued = stored.value().info.envelope.recipients.at(0);
    BOOST_TEST(queued.orcpt == "rfc822;a+2B2B@example.com");

    auto r = request(DsnKind::success);
    r.recipients[0] = {queued.address, queued.orcpt, "2.0.0", "250 2.0.0 delivered", "", false};
    auto p = parts(build_dsn(r, stored.value().info.envelope, original).body);
    BOOST_TEST_REQUIRE(p.size() == 3u);
    BOOST_TEST(p[1].find("Original-Recipient: rfc822; a+2B@example.com\r\n") != std::string::npos, p[1]);
}

BOOST_AUTO_TEST_CASE(delay_and_success_reports) {
    auto r = request(DsnKind::delay);
    r.recipients[0] = {"bob@example.com", "", "4.2.2", "451 4.2.2 mailbox full", "", false};
    r.recipients.push_back({"carol@example.com", "", "4.4.0", "451 4.4.0 queued", "", false});
    auto delay = build_dsn(r, envelope(), original).body;
    BOOST_TEST(delay.find("Subject: Delayed Mail (still being retried)\r\n") != std::string::npos);
    auto p = parts(delay);
    BOOST_TEST_REQUIRE(p.size() == 3u);
    BOOST_TEST(count(p[1], "Action: delayed\r\n") == 2u);
    BOOST_TEST(count(p[1], "Will-Retry-Until: Sun, 19 Nov 2023 22:13:20 +0000\r\n") == 2u);
    BOOST_TEST(p[0].find("THIS IS A WARNING ONLY") != std::string::npos);

    auto s = request(DsnKind::success);
    s.recipients[0] = {"bob@example.com", "", "2.0.0", "250 2.0.0 delivered to maildir", "", false};
    auto success = build_dsn(s, envelope(), original).body;
    BOOST_TEST(success.find("Subject: Successful Mail Delivery Report\r\n") != std::string::npos);
    auto sp = parts(success);
    BOOST_TEST_REQUIRE(sp.size() == 3u);
    BOOST_TEST(sp[1].find("Action: delivered\r\nStatus: 2.0.0\r\n") != std::string::npos);
    BOOST_TEST(sp[1].find("Will-Retry-Until") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(eight_bit_originals_are_labelled) {
    const std::string utf8 = "Subject: caf\xC3\xA9\r\n\r\nna\xC3\xAFve\r\n";
    auto dsn = build_dsn(request(DsnKind::failure), envelope(), utf8);
    BOOST_TEST(dsn.envelope.body_8bit);
    BOOST_TEST(count(dsn.body, "Content-Transfer-Encoding: 8bit\r\n") == 2u);
    auto seven = build_dsn(request(DsnKind::failure), envelope(), original);
    BOOST_TEST(!seven.envelope.body_8bit);
    BOOST_TEST(seven.body.find("Content-Transfer-Encoding") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(helpers) {
    BOOST_TEST(rfc5322_date(0) == "Thu, 01 Jan 1970 00:00:00 +0000");
}

// A remote server's verdict names that server (RFC 3464 section 2.3.5), and a success handed to a
// server without DSN is "relayed" (RFC 3461 section 6.2.2), not "delivered".
BOOST_AUTO_TEST_CASE(remote_failures_name_the_server_and_relays_say_relayed) {
    auto r = request(DsnKind::failure);
    r.recipients[0] = {"bob@example.net", "", "5.1.1", "550 5.1.1 <bob@example.net>: no such user", "mx1.example.net",
                       false};
    auto p = parts(build_dsn(r, envelope(), original).body);
    BOOST_TEST_REQUIRE(p.size() == 3u);
    BOOST_TEST(p[1].find("Action: failed\r\nStatus: 5.1.1\r\nRemote-MTA: dns; mx1.example.net\r\n"
                         "Diagnostic-Code: smtp; 550 5.1.1 <bob@example.net>: no such user\r\n") != std::string::npos,
               p[1]);

    auto s = request(DsnKind::success);
    s.recipients[0] = {"bob@example.net", "", "2.0.0", "250 2.0.0 Ok: queued as 4711", "mx1.example.net", true};
    auto sp = parts(build_dsn(s, envelope(), original).body);
    BOOST_TEST_REQUIRE(sp.size() == 3u);
    BOOST_TEST(sp[1].find("Action: relayed\r\n") != std::string::npos, sp[1]);
    BOOST_TEST(sp[1].find("Action: delivered") == std::string::npos, sp[1]);
}
