// The result of delivering a message to one recipient, shared by the couriers (Maildir, LMTP) and
// the delivery agent. A verdict, not a failure: Result<T>/Error are for the agent's own failures
// (queue errors); a full mailbox is an ordinary outcome.
#pragma once

#include <string>

#include "core/smtp_reply.hpp"

namespace mw::smtp::delivery {

struct DeliveryOutcome {
    enum class Kind { ok, temporary, permanent };
    Kind kind = Kind::temporary;
    // What the remote server answered (LMTP), or a reply synthesized for it (Maildir: 250 / 451 /
    // 550, and a client's own failures such as 451 4.4.1). Its text is public: DSNs carry it, so it
    // never names paths.
    SmtpReply smtp_reply{451, "", ""};
    std::string detail;  // for the log only (errno text, the path component)
    // SMTP delivery to other servers:
    std::string relay;       // the server that answered, the log's relay= ("mx.example.com[192.0.2.1]:25");
                             // empty: the courier's relay_name()
    std::string remote_mta;  // its host name, for a DSN's Remote-MTA; empty: none
    // A success that handed the message on to another server: one that offers DSN takes the
    // sender's NOTIFY=SUCCESS with it and reports itself (dsn_passed_on, RFC 3461 section 6.2.1);
    // otherwise our own success notice says "relayed" (section 6.2.2).
    bool relayed = false;
    bool dsn_passed_on = false;

    // "451 4.2.2 mailbox full": what the queue keeps as last_reply and a DSN's Diagnostic-Code.
    std::string reply() const { return smtp_reply.str(); }

    static DeliveryOutcome ok(std::string text, std::string status = "2.0.0") {
        return make(Kind::ok, {250, std::move(status), std::move(text)}, {});
    }
    static DeliveryOutcome temporary(std::string status, std::string text, std::string detail = {}) {
        return make(Kind::temporary, {451, std::move(status), std::move(text)}, std::move(detail));
    }
    static DeliveryOutcome permanent(std::string status, std::string text, std::string detail = {}) {
        return make(Kind::permanent, {550, std::move(status), std::move(text)}, std::move(detail));
    }

private:
    static DeliveryOutcome make(Kind kind, SmtpReply reply, std::string detail) {
        DeliveryOutcome o;
        o.kind = kind;
        o.smtp_reply = std::move(reply);
        o.detail = std::move(detail);
        return o;
    }
};

}  // namespace mw::smtp::delivery
