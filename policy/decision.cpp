// Replies: the one exit every verdict passes through (docs/conventions.md "Replies have one exit").
#include "policy/decision.hpp"

#include <utility>

#include "core/enum_names.hpp"
#include "policy/facts.hpp"

namespace mw::policy {

namespace {

int expected_class(Action action) {
    switch (action) {
        case Action::accept:
        case Action::discard:
        case Action::quarantine: return 2;  // the client sees success; the message goes elsewhere
        case Action::tempfail: return 4;
        case Action::reject: return 5;
    }
    return 0;
}

}  // namespace

const char* to_string(Action a) {
    static constexpr const char* names[] = {"accept", "reject", "tempfail", "discard", "quarantine"};
    return enum_name(a, names, "tempfail");
}

const char* to_string(Mta m) {
    static constexpr const char* names[] = {"standalone", "postfix", "sendmail"};
    return enum_name(m, names, "standalone");
}

Verdict make_reply(Action action, int code, std::string status, std::string text, std::string rule) {
    int code_class = expected_class(action);
    // Like Postfix's smtpd_check_reject(): a reply whose classes disagree is a bug somewhere, and a
    // bug must never turn a rejection into an acceptance (or the reverse): fail temporarily.
    if (code < 200 || code > 599 || code / 100 != code_class || !valid_enhanced_status(status, code_class))
        return internal_error(std::move(rule));
    Verdict v;
    v.action = action;
    v.code = code;
    v.status = std::move(status);
    v.text = std::move(text);
    v.rule = std::move(rule);
    return v;
}

Verdict accept_verdict(int code, std::string status, std::string text) {
    return make_reply(Action::accept, code, std::move(status), std::move(text), "");
}

Verdict internal_error(std::string rule) {
    Verdict v;
    v.action = Action::tempfail;
    v.code = 451;
    v.status = "4.3.0";
    v.text = "Temporary policy failure";
    v.rule = std::move(rule);
    v.internal = true;
    return v;
}

Verdict from_template(Action action, const ReplyTemplate& t, std::string rule) {
    return make_reply(action, t.code, t.status, t.text, std::move(rule));
}

}  // namespace mw::policy
