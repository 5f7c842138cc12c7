#include "milter/milter_log.hpp"

#include "frontdoor/decision_log.hpp"

namespace mw::milter {

std::string decision_line(const MilterSession& s, std::string_view stage, const policy::Verdict& v,
                          std::vector<std::string> to) {
    // The MTA reports no HELO/EHLO difference to milters: ESMTP, as Postfix logs it.
    frontdoor::SessionView view{s.queue_id, s.client_text, &s.facts, s.connect.connector, "ESMTP"};
    std::optional<std::string_view> sender;
    if (s.mail || !s.sender_text.empty()) sender = s.sender_text;
    return frontdoor::session_decision(view, stage, v, sender, std::move(to));
}

std::vector<std::string> recipient_list(const MilterSession& s) {
    std::vector<std::string> out;
    for (const auto& r : s.recipients) out.push_back(r.str());
    return out;
}

}  // namespace mw::milter
