// Decisions: what the engine answers. Every decision names the rule or connector that produced it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "policy/ruleset.hpp"

namespace mw::policy {

enum class Action { accept, reject, tempfail, discard, quarantine };
const char* to_string(Action a);  // "accept", "reject", ...

struct Verdict {
    Action action = Action::accept;
    int code = 250;
    std::string status = "2.0.0";  // enhanced status code (RFC 3463)
    std::string text = "Ok";
    std::string rule;              // "" when no rule decided (default accept)
    bool internal = false;         // internal_error(): a failure inside us, not a rule's refusal
    bool continues() const { return action == Action::accept; }
    SmtpReply reply() const { return {code, status, text}; }
};

// The one exit for replies (docs/conventions.md "Replies have one exit"): checks that the code class matches the action (2xx accept,
// 4xx tempfail, 5xx reject; discard/quarantine answer 250) and that the enhanced status class
// equals the code class. Anything inconsistent becomes `451 4.3.0 Temporary policy failure`, so a
// bug can never turn a rejection into an acceptance.
Verdict make_reply(Action action, int code, std::string status, std::string text, std::string rule);
Verdict accept_verdict(int code = 250, std::string status = "2.0.0", std::string text = "Ok");
Verdict internal_error(std::string rule);  // 451 4.3.0 Temporary policy failure
Verdict from_template(Action action, const ReplyTemplate& t, std::string rule);

// A header edit for the front doors. Removals name the field and its 1-based index among the
// fields of the same name (counted case-insensitively, in arrival order).
struct HeaderEdit {
    enum class Kind { remove, add, set, prepend_subject } kind = Kind::add;
    std::string name;
    std::string value;  // add/set: the value; prepend_subject: the prefix
    int index = 0;      // remove: which same-named field (1-based)
};

}  // namespace mw::policy
