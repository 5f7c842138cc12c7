// The milter's decision lines, in the one format of frontdoor/decision_log.hpp (Postfix's smtpd
// shape):
//   QUEUEID|NOQUEUE: reject: RCPT from name[addr]: 554 5.7.1 <to>: Relay access denied;
//     rule="..." connector=Internet from=<a@b> to=<c@d> proto=ESMTP helo=<h>
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "milter/milter_session.hpp"
#include "policy/decision.hpp"

namespace mw::milter {

// `stage` is CONNECT, MAIL, RCPT or END-OF-MESSAGE; `to` is empty except at RCPT (the recipient as
// the client wrote it) and at the end of the message (every recipient).
std::string decision_line(const MilterSession& s, std::string_view stage, const policy::Verdict& v,
                          std::vector<std::string> to);

// The transaction's recipients, for the end-of-message line.
std::vector<std::string> recipient_list(const MilterSession& s);

}  // namespace mw::milter
