#include "frontdoor/decision_log.hpp"

#include "core/quote_text.hpp"

namespace mw::frontdoor {

const char* action_word(const policy::Verdict& v) { return policy::to_string(v.action); }

std::string reply_field(const policy::Verdict& v) {
    return std::to_string(v.code) + " " + v.status + " " + printable_text(v.text);
}

std::string field(std::string_view key, std::string_view value) {
    std::string v = printable_text(value);
    bool quote = v.empty() || v.find_first_of(" \"=;") != std::string::npos;
    std::string out = " " + std::string(key) + "=";
    if (!quote) return out + v;
    out += '"';
    for (char c : v) {
        if (c == '"') out += '\\';
        out += c;
    }
    return out + '"';
}

std::string address_field(std::string_view address) { return "<" + log_field_text(address) + ">"; }

std::string format(const Decision& d) {
    std::string line = d.queue_id.empty() ? std::string("NOQUEUE") : printable_text(d.queue_id);
    line += ": ";
    line += d.action;
    line += ": ";
    line += d.stage;
    line += " from " + printable_text(d.client) + ": " + d.reply + ";";
    if (!d.rule.empty()) line += field("rule", d.rule);
    if (d.connector) line += field("connector", d.connector->empty() ? std::string_view("none") : *d.connector);
    if (d.sender) line += " from=" + address_field(*d.sender);
    if (!d.recipients.empty()) {
        line += " to=";
        for (std::size_t i = 0; i < d.recipients.size(); ++i) line += (i ? "," : "") + address_field(d.recipients[i]);
    }
    if (!d.proto.empty()) line += field("proto", d.proto);
    if (d.helo) line += " helo=" + address_field(*d.helo);
    for (const auto& [key, value] : d.extra) line += field(key, value);
    return line;
}

std::string session_decision(const SessionView& session, std::string_view stage, const policy::Verdict& v,
                             std::optional<std::string_view> sender, std::vector<std::string> recipients) {
    Decision d;
    d.queue_id = session.queue_id;
    d.action = action_word(v);
    d.stage = stage;
    d.client = session.client;
    d.reply = reply_field(v);
    d.rule = v.rule;
    d.connector = session.connector ? std::string_view(session.connector->name) : std::string_view();
    d.sender = sender;
    d.recipients = std::move(recipients);
    d.proto = session.proto;
    if (session.facts) {
        d.helo = session.facts->helo;
        if (session.facts->tls) d.extra.emplace_back("tls", session.facts->tls->version);
        if (session.facts->auth_login) d.extra.emplace_back("sasl_username", *session.facts->auth_login);
    }
    return format(d);
}

std::string format(const Delivery& d) {
    return printable_text(d.queue_id) + ": to=" + address_field(d.recipient) + ", relay=" + printable_text(d.relay) +
           ", delay=" + std::to_string(d.delay) + ", dsn=" + printable_text(d.dsn) + ", status=" +
           std::string(d.status) + " (" + printable_text(d.text) + ")";
}

}  // namespace mw::frontdoor
