#include "smtp/delivery/dsn_message.hpp"

#include "core/enum_names.hpp"
#include "core/xtext.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <ctime>
#include <random>

namespace mw::smtp::delivery {

namespace {

constexpr const char* crlf = "\r\n";

std::atomic<unsigned long> dsn_counter{0};

std::string random_hex(int digits) {
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    std::uint64_t bits = rng();
    for (int i = 0; i < digits; ++i, bits >>= 4) out += hex[bits & 15];
    return out;
}

const char* subject(DsnKind kind) {
    static constexpr const char* names[] = {"Undelivered Mail Returned to Sender", "Delayed Mail (still being retried)",
                                            "Successful Mail Delivery Report"};
    return enum_name(kind, names, "");
}

const char* action(DsnKind kind) {
    // RFC 3464 section 2.3.3, in the order of DsnKind.
    static constexpr const char* names[] = {"failed", "delayed", "delivered"};
    return enum_name(kind, names, "");
}

bool has_8bit(std::string_view s) {
    for (unsigned char c : s)
        if (c >= 0x80) return true;
    return false;
}

// The header section of a CRLF message, ending with its last header line's CRLF.
std::string_view header_section(std::string_view message) {
    if (message.starts_with("\r\n")) return {};
    auto end = message.find("\r\n\r\n");
    return end == std::string_view::npos ? message : message.substr(0, end + 2);
}

std::string human_part(const DsnRequest& r, std::int64_t arrival) {
    std::string t = "This is the mail system at host " + r.hostname + ".\r\n\r\n";
    switch (r.kind) {
        case DsnKind::failure:
            t += "I'm sorry to have to inform you that your message could not\r\n"
                 "be delivered to one or more recipients. It's attached below.\r\n\r\n"
                 "For further assistance, please send mail to postmaster.\r\n\r\n";
            break;
        case DsnKind::delay: {
            const auto hours = (r.now - arrival) / 3600;
            const auto days = (r.retry_until - arrival + 86399) / 86400;
            t += "####################################################################\r\n"
                 "# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #\r\n"
                 "####################################################################\r\n\r\n"
                 "Your message could not be delivered for " + std::to_string(hours) +
                 " hour(s).\r\nIt will be retried until it is " + std::to_string(days) + " day(s) old.\r\n\r\n";
            break;
        }
        case DsnKind::success:
            t += "Your message was successfully delivered to the destination(s)\r\n"
                 "listed below.\r\n\r\n";
            break;
    }
    for (const auto& rcpt : r.recipients) {
        t += "<" + rcpt.address + ">: ";
        t += rcpt.diagnostic.empty() ? rcpt.status : rcpt.diagnostic;
        t += crlf;
    }
    return t;
}

// RFC 3464 section 2.2 (per-message) and 2.3 (per-recipient) fields.
std::string status_part(const DsnRequest& r, const queue::Envelope& envelope) {
    std::string s = "Reporting-MTA: dns; " + r.hostname + crlf;
    s += "X-Mailwarden-Queue-ID: " + r.queue_id + crlf;
    if (!envelope.dsn_envid.empty()) s += "Original-Envelope-Id: " + envelope.dsn_envid + crlf;
    if (envelope.arrival > 0) s += "Arrival-Date: " + rfc5322_date(envelope.arrival) + crlf;
    for (const auto& rcpt : r.recipients) {
        s += crlf;
        if (!rcpt.orcpt.empty()) {
            // ORCPT is queued as the client sent it, "addr-type;xtext" (RFC 3461 section 4.2);
            // the report carries it decoded, once.
            std::string_view o = rcpt.orcpt;
            auto semi = o.find(';');
            if (semi == std::string_view::npos)
                s += "Original-Recipient: rfc822; " + xtext::decode_lenient(o) + crlf;
            else
                s += "Original-Recipient: " + std::string(o.substr(0, semi)) + "; " + xtext::decode_lenient(o.substr(semi + 1)) +
                     crlf;
        }
        s += "Final-Recipient: rfc822; " + rcpt.address + crlf;
        s += std::string("Action: ") + (r.kind == DsnKind::success && rcpt.relayed ? "relayed" : action(r.kind)) + crlf;
        s += "Status: " + rcpt.status + crlf;
        if (!rcpt.remote_mta.empty()) s += "Remote-MTA: dns; " + rcpt.remote_mta + crlf;
        if (!rcpt.diagnostic.empty()) s += "Diagnostic-Code: smtp; " + rcpt.diagnostic + crlf;
        if (r.kind != DsnKind::success) s += "Last-Attempt-Date: " + rfc5322_date(r.now) + crlf;
        if (r.kind == DsnKind::delay && r.retry_until > 0)
            s += "Will-Retry-Until: " + rfc5322_date(r.retry_until) + crlf;
    }
    return s;
}

}  // namespace


DsnMessage build_dsn(const DsnRequest& r, const queue::Envelope& envelope, std::string_view original) {
    const bool headers_only = envelope.dsn_ret == "HDRS";
    const std::string_view returned = headers_only ? header_section(original) : original;
    const bool eight_bit = has_8bit(returned);

    // The boundary must not occur in anything we enclose (RFC 2046 section 5.1.1).
    std::string boundary;
    do {
        boundary = r.queue_id + "." + std::to_string(r.now) + "." + random_hex(8) + "/" + r.hostname;
    } while (original.find(boundary) != std::string_view::npos);

    const std::string from = "MAILER-DAEMON@" + r.hostname;
    std::string b;
    b.reserve(returned.size() + 4096);
    b += "Date: " + rfc5322_date(r.now) + crlf;
    b += "From: Mail Delivery System <" + from + ">" + crlf;
    b += "To: <" + envelope.sender + ">" + crlf;
    b += std::string("Subject: ") + subject(r.kind) + crlf;
    b += "Message-ID: <" + std::to_string(r.now) + "." + r.queue_id + "." + std::to_string(::getpid()) + "." +
         std::to_string(++dsn_counter) + "." + random_hex(6) + "@" + r.hostname + ">" + crlf;
    // RFC 3834: a notification is an automatic reply; vacation responders must stay quiet.
    b += std::string("Auto-Submitted: auto-replied") + crlf;
    b += std::string("MIME-Version: 1.0") + crlf;
    b += "Content-Type: multipart/report; report-type=delivery-status;" + std::string(crlf) + "\tboundary=\"" +
         boundary + "\"" + crlf;
    if (eight_bit) b += std::string("Content-Transfer-Encoding: 8bit") + crlf;
    b += crlf;
    b += std::string("This is a MIME-encapsulated message.") + crlf + crlf;

    b += "--" + boundary + crlf;
    b += std::string("Content-Description: Notification") + crlf;
    b += std::string("Content-Type: text/plain; charset=us-ascii") + crlf + crlf;
    b += human_part(r, envelope.arrival);
    b += crlf;

    b += "--" + boundary + crlf;
    b += std::string("Content-Description: Delivery report") + crlf;
    b += std::string("Content-Type: message/delivery-status") + crlf + crlf;
    b += status_part(r, envelope);
    b += crlf;

    b += "--" + boundary + crlf;
    if (headers_only) {
        b += std::string("Content-Description: Undelivered Message Headers") + crlf;
        b += std::string("Content-Type: text/rfc822-headers") + crlf;
    } else {
        b += std::string("Content-Description: ") +
             (r.kind == DsnKind::failure ? "Undelivered Message" : "Message") + crlf;
        b += std::string("Content-Type: message/rfc822") + crlf;
    }
    if (eight_bit) b += std::string("Content-Transfer-Encoding: 8bit") + crlf;
    b += crlf;
    b += returned;
    if (!returned.empty() && !returned.ends_with("\r\n")) b += crlf;
    b += crlf;
    b += "--" + boundary + "--" + crlf;

    DsnMessage m;
    m.body = std::move(b);
    m.envelope.sender = "";
    queue::Recipient to;
    to.address = envelope.sender;
    to.notify = queue::notify_never;  // a notification about a notification is never wanted
    m.envelope.recipients.push_back(std::move(to));
    m.envelope.body_8bit = eight_bit;
    m.envelope.arrival = r.now;
    m.envelope.client = "localhost";
    m.envelope.helo = r.hostname;
    return m;
}

}  // namespace mw::smtp::delivery
