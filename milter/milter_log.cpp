#include "milter/milter_log.hpp"

#include "core/quote_text.hpp"

namespace mw::milter {

namespace {

// Log lines are one line each: control characters from the client (HELO, addresses) are shown
// escaped so they cannot forge a second line.
std::string printable(std::string_view text) { return printable_text(text); }

const char* action_word(policy::Action a) {
    switch (a) {
        case policy::Action::accept: return "accept";
        case policy::Action::reject: return "reject";
        case policy::Action::tempfail: return "tempfail";
        case policy::Action::discard: return "discard";
        case policy::Action::quarantine: return "quarantine";
    }
    return "unknown";
}

}  // namespace

std::string recipient_field(std::string_view address) { return "<" + log_field_text(address) + ">"; }

std::string decision_line(const MilterSession& s, std::string_view stage, const policy::Verdict& v,
                          std::string_view to) {
    std::string line = s.queue_id.empty() ? "NOQUEUE" : printable(s.queue_id);
    line += ": ";
    line += action_word(v.action);
    line += ": ";
    line += stage;
    line += " from " + printable(s.client_text) + ": " + std::to_string(v.code) + " " + v.status + " " +
            printable(v.text) + ";";
    if (!v.rule.empty()) line += " rule=" + printable(v.rule) + ";";
    line += " connector=" + (s.connect.connector ? printable(s.connect.connector->name) : std::string("none"));
    if (s.mail || !s.sender_text.empty()) line += " from=<" + log_field_text(s.sender_text) + ">";
    if (!to.empty()) line += " to=" + std::string(to);  // made of recipient_field() values
    line += " proto=ESMTP helo=<" + log_field_text(s.facts.helo) + ">";
    if (s.facts.tls) line += " tls=" + log_field_text(s.facts.tls->version);
    if (s.facts.auth_login) line += " sasl_username=" + log_field_text(*s.facts.auth_login);
    return line;
}

}  // namespace mw::milter
