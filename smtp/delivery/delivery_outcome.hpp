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

    // "451 4.2.2 mailbox full": what the queue keeps as last_reply and a DSN's Diagnostic-Code.
    std::string reply() const { return smtp_reply.str(); }

    static DeliveryOutcome ok(std::string text, std::string status = "2.0.0") {
        return {Kind::ok, {250, std::move(status), std::move(text)}, {}};
    }
    static DeliveryOutcome temporary(std::string status, std::string text, std::string detail = {}) {
        return {Kind::temporary, {451, std::move(status), std::move(text)}, std::move(detail)};
    }
    static DeliveryOutcome permanent(std::string status, std::string text, std::string detail = {}) {
        return {Kind::permanent, {550, std::move(status), std::move(text)}, std::move(detail)};
    }
};

}  // namespace mw::smtp::delivery
