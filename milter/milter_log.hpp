// Log lines of the milter, in the shape Postfix's smtpd uses for its own decisions
// (smtpd_check.c log_whatsup), so admins grep one format:
//   QUEUEID|NOQUEUE: reject: RCPT from name[addr]: 554 5.7.1 <to>: Relay access denied;
//     rule=...; connector=Internet from=<a@b> to=<c@d> proto=ESMTP helo=<h>
#pragma once

#include <string>
#include <string_view>

#include "milter/milter_session.hpp"
#include "policy/decision.hpp"

namespace mw::milter {

// `stage` is CONNECT, MAIL, RCPT or END-OF-MESSAGE; `to` is empty except at RCPT (and a list at
// the end of the message), made of recipient_field() values.
// "<address>" with the address escaped for a log field.
std::string recipient_field(std::string_view address);

std::string decision_line(const MilterSession& s, std::string_view stage, const policy::Verdict& v,
                          std::string_view to);

}  // namespace mw::milter
