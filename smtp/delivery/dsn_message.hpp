// Delivery status notifications (RFC 3464, requested per RFC 3461): a multipart/report with a
// human-readable part, a message/delivery-status part and the original message (or its headers
// for RET=HDRS). The notification travels with the null reverse path, so it can never cause
// another notification (RFC 3461 section 6.2, RFC 5321 section 4.5.5).
#pragma once

#include "core/rfc5322_date.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "smtp/queue/queue.hpp"

namespace mw::smtp::delivery {

enum class DsnKind { failure, delay, success };

struct DsnRecipient {
    std::string address;     // Final-Recipient, without <>
    std::string orcpt;       // DSN ORCPT as given ("rfc822;bob+2B1@example.com"); "" = none
    std::string status;      // RFC 3463 "5.2.0"
    std::string diagnostic;  // the reply, "550 5.2.0 mailbox unavailable"; "" = none
    std::string remote_mta;  // the server whose reply `diagnostic` is ("mx.example.net"); "" = ours
    bool relayed = false;    // success: handed to a server without DSN, Action "relayed" (RFC 3461 6.2.2)
};

struct DsnRequest {
    DsnKind kind = DsnKind::failure;
    std::string hostname;            // Reporting-MTA, From: MAILER-DAEMON@hostname
    std::string queue_id;            // the original message's id
    std::vector<DsnRecipient> recipients;
    std::int64_t now = 0;            // unix seconds: Date, Last-Attempt-Date
    std::int64_t retry_until = 0;    // delay only: Will-Retry-Until
};

// A message ready for Queue::submit.
struct DsnMessage {
    queue::Envelope envelope;  // sender "" to the original sender
    std::string body;          // CRLF line endings
};

// `original` is the queued message (CRLF). With RET=HDRS only its header section is returned
// (text/rfc822-headers); otherwise -- RET=FULL or none given, RFC 3461 section 4.3 leaves the
// default to us -- all of it (message/rfc822).
// The original sender must not be null: callers never notify the null sender.
DsnMessage build_dsn(const DsnRequest& request, const queue::Envelope& envelope, std::string_view original);

using mw::rfc5322_date;  // core/rfc5322_date.hpp

}  // namespace mw::smtp::delivery
