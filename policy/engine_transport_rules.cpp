// [[transport_rule]]: Exchange transport rules. Conditions AND together (a list inside one is an
// OR), `except` prevents, actions run in (priority, file order); reject, tempfail and discard end
// processing, as does `stop`. A lookup or PCRE2 error fails the message closed with 451 4.3.0.
// Patterns are not matched here one by one: MessageScan scans each field once for every rule.
#include <algorithm>

#include "policy/engine_internal.hpp"
#include "policy/message_scan.hpp"

namespace mw::policy::detail {

namespace {

struct RuleEnv {
    MatchEnv match;
    const SessionFacts& facts;
    const MailContext& ctx;
    const std::vector<Address>& recipients;
    std::uint64_t size;
    MessageScan& scan;
};

Match any_recipient(const RuleEnv& env, const std::vector<AddressPattern>& patterns) {
    Match m = Match::no_match;
    for (const auto& r : env.recipients) {
        m = match_or(m, match_patterns(env.match, patterns, r));
        if (m == Match::match) break;
    }
    return m;
}

Match hit(const PatternHits& hits, PatternId id) {
    if (hits.failed(id)) return Match::unknown;
    return from_bool(hits.matched(id));
}

Match noted_hit(const RuleEnv& env, const PatternHits& hits, PatternId id, std::string_view what) {
    Match m = hit(hits, id);
    if (m == Match::unknown) env.match.note(std::string(what) + ": PCRE2 could not finish a match: fails closed");
    return m;
}

// Any of the patterns (OR), in the field's scan.
template <typename Entry>
Match any_hit(const RuleEnv& env, const PatternHits& hits, const std::vector<Entry>& entries, std::string_view what) {
    Match m = Match::no_match;
    for (const auto& e : entries) {
        m = match_or(m, noted_hit(env, hits, e.id, what));
        if (m == Match::match) break;
    }
    return m;
}

// Content conditions without the inspected content (a front door that did not keep the body)
// cannot be answered: Unknown, so the message fails closed rather than passes a rule unseen.
Match no_content(const RuleEnv& env, std::string_view what) {
    env.match.note(std::string(what) + ": the message content was not inspected");
    return Match::unknown;
}

// Some attachment satisfies `test(part index)`; the trace names the first that does.
template <typename Test>
Match any_attachment(const RuleEnv& env, std::string_view what, Test&& test) {
    const MessageContent* content = env.scan.content();
    if (!content) return no_content(env, what);
    Match m = Match::no_match;
    for (std::size_t i : env.scan.attachments()) {
        auto [one, detail] = test(i);
        if (one == Match::match) env.match.note(describe_part(content->parts[i]) + ": " + std::string(what) + " " + detail);
        m = match_or(m, one);
        if (m == Match::match) break;
    }
    return m;
}

Match content_conditions(RuleEnv& env, const RuleCondition& c, Match m) {
    auto need = [&](Match next) {
        m = match_and(m, next);
        return m != Match::no_match;
    };
    MessageScan& scan = env.scan;
    const MessageContent* content = scan.content();
    if (c.attachment_name_matches) {
        Match a = any_attachment(env, "attachment_name_matches", [&](std::size_t i) {
            const PatternHits& hits = scan.attachment_names(i);
            for (const auto& p : *c.attachment_name_matches) {
                Match one = hit(hits, p.id);
                if (one != Match::no_match) return std::pair{one, p.regex.pattern()};
            }
            return std::pair{Match::no_match, std::string()};
        });
        if (!need(a)) return m;
    }
    if (c.attachment_extension) {
        Match a = any_attachment(env, "attachment_extension", [&](std::size_t i) {
            for (const auto& ext : scan.extensions(i))
                for (const auto& wanted : *c.attachment_extension)
                    if (ext == wanted) return std::pair{Match::match, wanted};
            return std::pair{Match::no_match, std::string()};
        });
        if (!need(a)) return m;
    }
    if (c.attachment_type) {
        Match a = any_attachment(env, "attachment_type", [&](std::size_t i) {
            const PatternHits& hits = scan.attachment_type(i);
            for (const auto& p : *c.attachment_type) {
                Match one = hit(hits, p.id);
                if (one != Match::no_match) return std::pair{one, content->parts[i].content_type};
            }
            return std::pair{Match::no_match, std::string()};
        });
        if (!need(a)) return m;
    }
    if (c.attachment_size_over) {
        Match a = any_attachment(env, "attachment_size_over", [&](std::size_t i) {
            std::uint64_t size = content->parts[i].decoded_size;
            return std::pair{from_bool(size > *c.attachment_size_over), std::to_string(size) + " bytes"};
        });
        if (!need(a)) return m;
    }
    if (c.body_contains && !need(content ? any_hit(env, scan.body(), *c.body_contains, "body_contains")
                                         : no_content(env, "body_contains")))
        return m;
    if (c.body_matches && !need(content ? any_hit(env, scan.body(), *c.body_matches, "body_matches")
                                        : no_content(env, "body_matches")))
        return m;
    if (c.mime_malformed) {
        if (!content) {
            need(no_content(env, "mime_malformed"));
            return m;
        }
        bool malformed = !content->malformed.empty();
        if (malformed && *c.mime_malformed) env.match.note("mime_malformed: " + content->malformed.front());
        if (!need(from_bool(malformed == *c.mime_malformed))) return m;
    }
    if (c.part_count_over) {
        if (!content) {
            need(no_content(env, "part_count_over"));
            return m;
        }
        if (!need(from_bool(content->part_count > *c.part_count_over))) return m;
    }
    return m;
}

// Every present condition must hold; evaluation stops at the first that does not. The order is
// the one gate_of (ruleset.cpp) assumes: a change to one is a change to both.
Match evaluate_condition(RuleEnv& env, const RuleCondition& c) {
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
    if (c.subject_contains && !need(any_hit(env, env.scan.subject(), *c.subject_contains, "Subject"))) return m;
    if (c.subject_matches && !need(any_hit(env, env.scan.subject(), *c.subject_matches, "Subject"))) return m;
    for (const auto& h : c.header_contains)
        if (!need(any_hit(env, env.scan.header(h.set), h.texts, h.header))) return m;
    for (const auto& h : c.header_matches)
        if (!need(noted_hit(env, env.scan.header(h.set), h.pattern.id, h.header))) return m;
    if (c.any_header_matches && !need(any_hit(env, env.scan.any_header(), *c.any_header_matches, "any_header_matches")))
        return m;
    if (c.size_over && !need(from_bool(env.size > *c.size_over))) return m;
    if (c.authenticated && !need(from_bool(env.ctx.authenticated == *c.authenticated))) return m;
    if (c.tls && !need(from_bool(env.facts.tls.has_value() == *c.tls))) return m;
    if (c.domain_secure && !need(from_bool(env.ctx.domain_secure.has_value() == *c.domain_secure))) return m;
    if (c.needs_content()) m = content_conditions(env, c, m);
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
                           const std::vector<Address>& recipients, std::uint64_t size,
                           const MessageContent* content, MessageState& state, MessageResult& result) {
    MessageScan scan(rules.patterns, state, content);
    RuleEnv env{MatchEnv{rules, &result.trace}, facts, context, recipients, size, scan};
    // Gates only as the loader made them, one per rule in the same order; otherwise (a Ruleset
    // built another way) every rule is evaluated in full, which is never wrong, only slower.
    const auto& gates = rules.transport_gates;
    const bool gated = gates.size() == rules.transport_rules.size();
    for (std::size_t i = 0; i < rules.transport_rules.size(); ++i) {  // the loader sorts by (priority, order)
        const TransportRule& rule = rules.transport_rules[i];
        if (gated && !scan.may_match(gates[i])) continue;  // its first condition fails
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
