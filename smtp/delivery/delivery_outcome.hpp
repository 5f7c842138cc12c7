// The result of delivering a message to one recipient, shared by the Maildir writer, the LMTP
// client and the delivery agent. A verdict, not a failure: Result<T>/Error are for the agent's own
// failures (queue errors); a full mailbox is an ordinary outcome.
#pragma once

#include <string>

namespace mw::smtp::delivery {

struct DeliveryOutcome {
    enum class Kind { ok, temporary, permanent };
    Kind kind = Kind::temporary;
    int code = 451;           // SMTP reply code (synthesized for Maildir: 250 / 451 / 550)
    std::string status;       // RFC 3463 enhanced status "4.2.2"
    std::string text;         // public text: DSNs carry it, so it never names paths
    std::string detail;       // for the log only (errno text, the path component)

    // "451 4.2.2 mailbox full": what the queue keeps as last_reply and a DSN's Diagnostic-Code.
    std::string reply() const {
        return std::to_string(code) + " " + (status.empty() ? std::string() : status + " ") + text;
    }

    static DeliveryOutcome ok(std::string text, std::string status = "2.0.0") {
        return {Kind::ok, 250, std::move(status), std::move(text), {}};
    }
    static DeliveryOutcome temporary(std::string status, std::string text, std::string detail = {}) {
        return {Kind::temporary, 451, std::move(status), std::move(text), std::move(detail)};
    }
    static DeliveryOutcome permanent(std::string status, std::string text, std::string detail = {}) {
        return {Kind::permanent, 550, std::move(status), std::move(text), std::move(detail)};
    }
};

}  // namespace mw::smtp::delivery
