// The session's log lines, in the one format of frontdoor/decision_log.hpp (Postfix's smtpd shape):
//   QUEUEID|NOQUEUE: reject: RCPT from name[addr]: 554 5.7.1 <to>: Relay access denied;
//     rule="..." connector=Internet from=<a@b> to=<c@d> proto=ESMTP helo=<h>
#include "core/quote_text.hpp"
#include "frontdoor/decision_log.hpp"
#include "smtp/server/decision_line.hpp"
#include "smtp/server/session.hpp"

namespace mw::smtp::server {

std::string decision_line(const SessionLogView& view, std::string_view stage, const policy::Verdict& v,
                          std::optional<std::string_view> from, std::vector<std::string> to) {
    frontdoor::SessionView session{view.queue_id, view.client, view.facts, view.connector, view.esmtp ? "ESMTP" : "SMTP"};
    return frontdoor::session_decision(session, stage, v, from, std::move(to));
}

std::string Session::client_text() const { return printable_text(facts_.client_name) + "[" + client_address_text_ + "]"; }

void Session::log_event(std::string_view text) const {
    shared_.log(std::string(queue_id_.empty() ? "" : queue_id_ + ": ") + printable_text(text));
}

void Session::log_decision(std::string_view stage, const policy::Verdict& v, std::vector<std::string> to,
                           std::optional<std::string_view> from) const {
    // Unescaped: the decision log escapes every value once (client_text() is already escaped).
    std::string client = facts_.client_name + "[" + client_address_text_ + "]";
    SessionLogView view{queue_id_, client, &facts_, connect_.connector, esmtp_};
    shared_.log(decision_line(view, stage, v, from, std::move(to)));
}

}  // namespace mw::smtp::server
