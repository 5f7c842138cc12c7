#include "milter/milter_log.hpp"

#include "frontdoor/decision_log.hpp"

namespace mw::milter {

std::string decision_line(const MilterSession& s, std::string_view stage, const policy::Verdict& v,
                          std::vector<std::string> to) {
    frontdoor::Decision d;
    d.queue_id = s.queue_id;
    d.action = frontdoor::action_word(v);
    d.stage = stage;
    d.client = s.client_text;
    d.reply = frontdoor::reply_field(v);
    d.rule = v.rule;
    d.connector = s.connect.connector ? std::string_view(s.connect.connector->name) : std::string_view();
    if (s.mail || !s.sender_text.empty()) d.sender = s.sender_text;
    d.recipients = std::move(to);
    d.proto = "ESMTP";
    d.helo = s.facts.helo;
    if (s.facts.tls) d.extra.emplace_back("tls", s.facts.tls->version);
    if (s.facts.auth_login) d.extra.emplace_back("sasl_username", *s.facts.auth_login);
    return frontdoor::format(d);
}

std::vector<std::string> recipient_list(const MilterSession& s) {
    std::vector<std::string> out;
    for (const auto& r : s.recipients) out.push_back(r.str());
    return out;
}

}  // namespace mw::milter
