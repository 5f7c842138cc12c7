// [[transport_rule]]: Exchange transport rules. Conditions AND together (a list inside one is an
// OR), `except` prevents, actions run in (priority, file order); reject, tempfail and discard end
// processing, as does `stop`. A lookup or PCRE2 error fails the message closed with 451 4.3.0.
#include <algorithm>

#include "policy/engine_internal.hpp"
#include "policy/header_decoding.hpp"

namespace mw::policy::detail {

namespace {

struct RuleEnv {
    MatchEnv match;
    const SessionFacts& facts;
    const MailContext& ctx;
    const std::vector<Address>& recipients;
    std::uint64_t size;
    const MessageState& state;
};

// Values of the fields named `name` that arrived and survived the firewall, unfolded: each as
// written and, when it differs, decoded (RFC 2047 words, RFC 2231 parameters), so encoding a Subject
// or an attachment name never slips it past a rule.
std::vector<std::string> field_values(const MessageState& state, std::string_view name) {
    std::vector<std::string> out;
    const auto& fields = state.headers.fields;
    for (std::size_t i = 0; i < fields.size(); ++i) {
        if (state.firewalled[i] || !iequals(field_name(fields[i]), name)) continue;
        std::string raw = unfold(fields[i].value);
        std::string decoded = decode_extended_parameters(decode_encoded_words(raw));
        if (decoded != raw) out.push_back(std::move(decoded));
        out.push_back(std::move(raw));
    }
    return out;
}

Match any_recipient(const RuleEnv& env, const std::vector<AddressPattern>& patterns) {
    Match m = Match::no_match;
    for (const auto& r : env.recipients) {
        m = match_or(m, match_patterns(env.match, patterns, r));
        if (m == Match::match) break;
    }
    return m;
}

Match texts_in(const std::vector<std::string>& values, const std::vector<std::string>& texts) {
    for (const auto& v : values)
        for (const auto& t : texts)
            if (icontains(v, t)) return Match::match;
    return Match::no_match;
}

Match regex_in(const RuleEnv& env, const std::vector<std::string>& values, const Regex& re, std::string_view what) {
    Match m = Match::no_match;
    for (const auto& v : values) {
        m = match_or(m, regex_search(env.match, re, v, what));
        if (m == Match::match) break;
    }
    return m;
}

// Every present condition must hold; evaluation stops at the first that does not.
Match evaluate_condition(const RuleEnv& env, const RuleCondition& c) {
    Match m = Match::match;
    auto need = [&](Match next) {
        m = match_and(m, next);
        return m != Match::no_match;
    };
    const Ruleset& rules = env.match.rules;
    if (c.from) {
        // An authenticated null sender is judged as the login's address (matchers.hpp match_sender).
        const std::string* login =
            env.ctx.authenticated && env.facts.auth_login ? &*env.facts.auth_login : nullptr;
        if (!need(match_sender(env.match, *c.from, login, env.ctx.sender))) return m;
    }
    if (c.to && !need(any_recipient(env, *c.to))) return m;
    if (c.from_scope && !need(from_bool(in_scope(rules, *c.from_scope, env.ctx.sender)))) return m;
    if (c.to_scope) {
        bool any = std::any_of(env.recipients.begin(), env.recipients.end(),
                               [&](const Address& r) { return in_scope(rules, *c.to_scope, r); });
        if (!need(from_bool(any))) return m;
    }
    if (c.subject_contains && !need(texts_in(field_values(env.state, "Subject"), *c.subject_contains))) return m;
    if (c.subject_matches) {
        auto subjects = field_values(env.state, "Subject");
        Match any = Match::no_match;
        for (const auto& re : *c.subject_matches) {
            any = match_or(any, regex_in(env, subjects, re, "Subject"));
            if (any == Match::match) break;
        }
        if (!need(any)) return m;
    }
    for (const auto& h : c.header_contains)
        if (!need(texts_in(field_values(env.state, h.header), h.texts))) return m;
    for (const auto& h : c.header_matches)
        if (!need(regex_in(env, field_values(env.state, h.header), h.regex, h.header))) return m;
    if (c.size_over && !need(from_bool(env.size > *c.size_over))) return m;
    if (c.authenticated && !need(from_bool(env.ctx.authenticated == *c.authenticated))) return m;
    if (c.tls && !need(from_bool(env.facts.tls.has_value() == *c.tls))) return m;
    if (c.domain_secure && !need(from_bool(env.ctx.domain_secure.has_value() == *c.domain_secure))) return m;
    return m;
}

// reject > tempfail > discard > quarantine > accept, whichever rule fired first.
int severity(Action a) {
    switch (a) {
        case Action::accept: return 0;
        case Action::quarantine: return 1;
        case Action::discard: return 2;
        case Action::tempfail: return 3;
        case Action::reject: return 4;
    }
    return 4;
}

void add_unique(std::vector<Address>& list, const Address& a) {
    if (std::find(list.begin(), list.end(), a) == list.end()) list.push_back(a);
}

// Runs the actions of one rule; true when processing ends here.
bool run_actions(const TransportRule& rule, const std::vector<Address>& recipients, MessageState& state,
                 MessageResult& result) {
    const RuleActions& a = rule.then;
    auto verdict = [&](Verdict v) {
        result.trace.push_back("transport rule '" + rule.name + "': " + to_string(v.action) + " " +
                               std::to_string(v.code) + " " + v.status + " " + v.text);
        if (severity(v.action) > severity(result.verdict.action)) result.verdict = std::move(v);
    };
    // Explicit actions (the loader checks the class): a mismatch stays a 451 4.3.0 bug net.
    if (a.reject) verdict(from_template(Action::reject, *a.reject, rule.name));
    if (a.tempfail) verdict(from_template(Action::tempfail, *a.tempfail, rule.name));
    if (a.discard) verdict(make_reply(Action::discard, 250, "2.0.0", "Ok", rule.name));
    if (a.quarantine) verdict(make_reply(Action::quarantine, 250, "2.0.0", "Ok", rule.name));
    for (const auto& name : a.remove_header) {
        const auto& fields = state.headers.fields;
        for (std::size_t i = 0; i < fields.size(); ++i)
            if (iequals(field_name(fields[i]), name)) state.removed[i] = true;
        // A field an earlier rule added goes too: "remove" means none is left.
        std::erase_if(state.additions, [&](const HeaderEdit& e) {
            return e.kind != HeaderEdit::Kind::prepend_subject && iequals(e.name, name);
        });
        result.trace.push_back("transport rule '" + rule.name + "': remove header " + name);
    }
    for (const auto& h : a.set_header) {
        state.additions.push_back({HeaderEdit::Kind::set, h.name, h.value, 0});
        result.trace.push_back("transport rule '" + rule.name + "': set header " + h.name + ": " + h.value);
    }
    for (const auto& h : a.add_header) {
        state.additions.push_back({HeaderEdit::Kind::add, h.name, h.value, 0});
        result.trace.push_back("transport rule '" + rule.name + "': add header " + h.name + ": " + h.value);
    }
    if (a.prepend_subject) {
        state.additions.push_back({HeaderEdit::Kind::prepend_subject, "Subject", *a.prepend_subject, 0});
        result.trace.push_back("transport rule '" + rule.name + "': prepend subject '" + *a.prepend_subject + "'");
    }
    for (const auto& b : a.add_bcc) {
        add_unique(result.add_recipients, b);
        result.trace.push_back("transport rule '" + rule.name + "': add bcc <" + b.str() + ">");
    }
    if (!a.redirect_to.empty()) {
        for (const auto& t : a.redirect_to) add_unique(result.add_recipients, t);
        for (const auto& r : recipients) add_unique(result.remove_recipients, r);
        result.trace.push_back("transport rule '" + rule.name + "': redirect to " + std::to_string(a.redirect_to.size()) +
                               " address(es), original recipients removed");
    }
    result.rules_applied.push_back(rule.name);
    bool ends = a.stop || a.reject || a.tempfail || a.discard;
    if (ends) result.trace.push_back("transport rule '" + rule.name + "': no further rules");
    return ends;
}

}  // namespace

void apply_transport_rules(const Ruleset& rules, const SessionFacts& facts, const MailContext& context,
                           const std::vector<Address>& recipients, std::uint64_t size, MessageState& state,
                           MessageResult& result) {
    RuleEnv env{MatchEnv{rules, &result.trace}, facts, context, recipients, size, state};
    for (const auto& rule : rules.transport_rules) {  // the loader sorts by (priority, order)
        Match m = evaluate_condition(env, rule.if_);
        if (m == Match::match && rule.except) {
            Match e = evaluate_condition(env, *rule.except);
            if (e == Match::match) {
                result.trace.push_back("transport rule '" + rule.name + "': conditions match, exception applies");
                continue;
            }
            if (e == Match::unknown) m = Match::unknown;
        }
        if (m == Match::unknown) {
            result.trace.push_back("transport rule '" + rule.name + "': could not be evaluated: 451 4.3.0");
            result.verdict = internal_error(rule.name);
            return;
        }
        if (m == Match::no_match) continue;
        result.trace.push_back("transport rule '" + rule.name + "' (priority " + std::to_string(rule.priority) +
                               ") matched");
        if (run_actions(rule, recipients, state, result)) return;
    }
}

}  // namespace mw::policy::detail
