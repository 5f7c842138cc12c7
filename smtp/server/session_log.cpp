// The session's log lines, in the shape of Postfix's smtpd (and of the milter's, milter_log.cpp):
//   QUEUEID|NOQUEUE: reject: RCPT from name[addr]: 554 5.7.1 <to>: Relay access denied;
//     rule=...; connector=Internet from=<a@b> to=<c@d> proto=ESMTP helo=<h>
#include "core/quote_text.hpp"
#include "smtp/server/session.hpp"

namespace mw::smtp::server {

std::string Session::client_text() const { return printable_text(facts_.client_name) + "[" + client_address_text_ + "]"; }

void Session::log_event(std::string_view text) const {
    shared_.log(std::string(queue_id_.empty() ? "" : queue_id_ + ": ") + printable_text(text));
}

void Session::log_decision(std::string_view stage, const policy::Verdict& v, std::string_view to,
                           std::string_view from) const {
    std::string line = queue_id_.empty() ? "NOQUEUE" : queue_id_;
    line += ": ";
    line += policy::to_string(v.action);
    line += ": ";
    line += stage;
    line += " from " + client_text() + ": " + std::to_string(v.code) + " " + v.status + " " + printable_text(v.text) + ";";
    if (!v.rule.empty()) line += " rule=" + printable_text(v.rule) + ";";
    line += " connector=" + (connect_.connector ? printable_text(connect_.connector->name) : std::string("none"));
    if (stage != "CONNECT") line += " from=<" + log_field_text(from) + ">";
    if (!to.empty()) line += " to=<" + log_field_text(to) + ">";
    line += std::string(" proto=") + (esmtp_ ? "ESMTP" : "SMTP") + " helo=<" + log_field_text(facts_.helo) + ">";
    if (facts_.tls) line += " tls=" + log_field_text(facts_.tls->version);
    if (facts_.auth_login) line += " sasl_username=" + log_field_text(*facts_.auth_login);
    shared_.log(line);
}

}  // namespace mw::smtp::server
