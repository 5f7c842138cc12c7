// The one mail log: every decision of every front door (milter, SMTP server, Postfix policy
// service, socketmap) becomes one line of one shape, the shape of Postfix's smtpd, so that one grep
// finds a decision wherever it was made:
//
//   QUEUEID: ACTION: STAGE from CLIENT: REPLY; key=value key=value ...
//   4FzZ1k3QmVz9sT: reject: RCPT from mail.example.net[192.0.2.7]: 550 5.7.1 <bob@example.com>:
//     Delivery not authorized; rule="Students outside" connector=Internet from=<a@example.net>
//     to=<bob@example.com> proto=ESMTP helo=<mail.example.net>
//
// (one line in the log; wrapped here). NOQUEUE stands for the queue id before there is one.
// Values are escaped one way: control bytes as \xNN; a value with a space, quote, '=' or ';' in
// double quotes; addresses in <...> with '<', '>' and spaces escaped, a list as <a>,<b>. A client
// cannot end a line or add a field of its own. Deliveries keep Postfix's delivery shape
// (`QUEUEID: to=<a>, relay=..., delay=..., dsn=..., status=sent (...)`), written here too.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "policy/decision.hpp"
#include "policy/facts.hpp"
#include "policy/ruleset.hpp"

namespace mw::frontdoor {

struct Decision {
    std::string_view queue_id;  // "" before the MTA or the queue gave one: NOQUEUE
    std::string_view action;    // "reject", "accept", ..., or the policy service's "policy OK"
    std::string_view stage;     // CONNECT, MAIL, RCPT, END-OF-MESSAGE, ...
    std::string_view client;    // "name[address]" (or with ":port"), already in that form
    std::string reply;          // "550 5.7.1 text", or what was answered instead
    std::string_view rule;      // "" when no rule decided
    std::optional<std::string_view> connector;  // nullopt: no connector field; "" -> "none"
    std::optional<std::string_view> sender;     // nullopt before MAIL
    std::vector<std::string> recipients;
    std::string_view proto;     // "ESMTP", "SMTP"; "" -> no field
    std::optional<std::string_view> helo;
    std::vector<std::pair<std::string_view, std::string>> extra;  // more key=value, in this order
};

// The verdict's action word and reply ("550 5.7.1 text"), for Decision.action and .reply.
const char* action_word(const policy::Verdict& v);
std::string reply_field(const policy::Verdict& v);

std::string format(const Decision& d);

// What the milter and the SMTP server log for a session's decision: the fields both fill from the
// session the same way (rule, connector, envelope, HELO, TLS version, login), so the same decision
// reads the same from either. `sender` is nullopt before MAIL.
struct SessionView {
    std::string_view queue_id;
    std::string_view client;                              // "name[address]"
    const policy::SessionFacts* facts = nullptr;
    const policy::ReceiveConnector* connector = nullptr;  // null: no connector serves the client
    std::string_view proto = "ESMTP";
};
std::string session_decision(const SessionView& session, std::string_view stage, const policy::Verdict& v,
                             std::optional<std::string_view> sender, std::vector<std::string> recipients);

// ` key=value` with the value escaped as above.
std::string field(std::string_view key, std::string_view value);
// `<address>` escaped for a log line.
std::string address_field(std::string_view address);

// One delivery attempt for one recipient, in Postfix's delivery shape.
struct Delivery {
    std::string_view queue_id;
    std::string_view recipient;
    std::string_view relay;   // "local", "lmtp[/run/dovecot/lmtp]", "none"
    std::int64_t delay = 0;   // seconds since arrival
    std::string_view dsn;     // "2.0.0"
    std::string_view status;  // sent | deferred | bounced | expired
    std::string text;         // what happened, for the parentheses
};
std::string format(const Delivery& d);

}  // namespace mw::frontdoor
