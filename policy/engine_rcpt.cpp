// RCPT stage: recipient limits, relay control, recipient lists, delivery restrictions and
// recipient policies (README "Replies"), then the route a leaving recipient would take.
#include "policy/engine_internal.hpp"

namespace mw::policy {

namespace {

std::string angle(const Address& a) { return "<" + a.str() + ">"; }

Verdict not_authorized(const Address& rcpt, std::string rule) {
    return make_reply(Action::reject, 550, "5.7.1", angle(rcpt) + ": Delivery not authorized", std::move(rule));
}

std::string policy_name(const RecipientPolicy& p) {
    std::string names;
    for (const auto& r : p.recipients) names += (names.empty() ? "" : ", ") + r.str();
    return "recipient policy for " + names;
}

// Postfix mode: the Direct Trust pin is known only now, through the policy service.
std::optional<Verdict> certificate_check_at_rcpt(const Ruleset& rules, const SessionFacts& facts, MailContext& ctx,
                                                 Trace& trace) {
    const std::string& domain = ctx.sender.domain;
    auto req = detail::certificate_requirement(rules, domain);
    auto check = detail::check_certificate(req, domain, facts);
    if (!check.trusted) {
        trace.push_back(req.source + " (at RCPT): certificate validation failure for " + domain + ": " + check.reason);
        // MAIL judged submit and the sender with partners tentatively; that claim is now refuted.
        // The check stays pending, so every further recipient is refused the same way.
        ctx.domain_secure.reset();
        detail::assign_groups(ctx);
        return detail::certificate_failure(rules, req, ctx.sender);
    }
    trace.push_back(req.source + " (at RCPT): " + check.reason);
    if (req.makes_partner()) {
        ctx.domain_secure = domain;
        detail::assign_groups(ctx);
        trace.push_back("domain security passed for " + domain + ": session joins partners; groups " +
                        detail::describe_groups(ctx.groups) + "; rights " + detail::describe_rights(ctx.rights));
    }
    ctx.certificate_check_at_rcpt = false;
    return std::nullopt;
}

// [[delivery_restriction]]: first whose senders and recipients both match decides; "allow" ends
// the checks as an exception (README "Delivery restrictions, recipient policies, transport rules").
std::optional<Verdict> check_restrictions(const MatchEnv& env, const MailContext& ctx, const std::string* login,
                                          const Address& rcpt, Trace& trace) {
    for (const auto& d : env.rules.delivery_restrictions) {
        Match m = match_sender(env, d.senders, login, ctx.sender);
        if (m != Match::no_match) m = match_and(m, match_patterns(env, d.recipients, rcpt));
        if (m == Match::no_match) continue;
        if (m == Match::unknown) {
            trace.push_back("delivery restriction '" + d.name + "': lookup failed: 451 4.3.0");
            return internal_error(d.name);
        }
        if (d.allow) {
            trace.push_back("delivery restriction '" + d.name + "' matched: allow");
            return std::nullopt;
        }
        trace.push_back("delivery restriction '" + d.name + "' matched: reject");
        return d.reply ? detail::reply_from_template(*d.reply, d.name) : not_authorized(rcpt, d.name);
    }
    return std::nullopt;
}

// [[recipient_policy]]: Exchange's per-recipient "accept messages only from", "reject messages
// from" and "require that all senders are authenticated". Every policy naming the recipient applies.
std::optional<Verdict> check_recipient_policies(const MatchEnv& env, const MailContext& ctx, const std::string* login,
                                                const Address& rcpt, Trace& trace) {
    for (const auto& p : env.rules.recipient_policies) {
        Match applies = match_patterns(env, p.recipients, rcpt);
        if (applies == Match::no_match) continue;
        std::string name = policy_name(p);
        if (applies == Match::unknown) return internal_error(name);
        if (p.accept_only_from) {
            Match m = match_sender(env, *p.accept_only_from, login, ctx.sender);
            if (m == Match::unknown) return internal_error(name);
            if (m == Match::no_match) {
                trace.push_back(name + ": sender <" + ctx.sender.str() + "> not in accept_only_from: reject");
                return not_authorized(rcpt, name);
            }
        }
        Match rejected = match_sender(env, p.reject_from, login, ctx.sender);
        if (rejected == Match::unknown) return internal_error(name);
        if (rejected == Match::match) {
            trace.push_back(name + ": sender <" + ctx.sender.str() + "> in reject_from: reject");
            return not_authorized(rcpt, name);
        }
        if (p.require_authenticated_sender && !ctx.authenticated) {
            trace.push_back(name + ": sender not authenticated: reject");
            return not_authorized(rcpt, name);
        }
        trace.push_back(name + ": passed");
    }
    return std::nullopt;
}

RcptResult rcpt_impl(const Ruleset& rules, const SessionFacts& facts, MailContext& ctx, const Address& rcpt,
                     std::size_t accepted_so_far) {
    RcptResult r;
    if (detail::missing_context(ctx, r, "RCPT")) return r;
    const ReceiveConnector& c = *ctx.connector;
    auto done = [&](Verdict v) {
        r.trace.push_back("RCPT TO:<" + rcpt.str() + ">: " + std::to_string(v.code) + " " + v.status + " " + v.text);
        r.verdict = std::move(v);
        return r;
    };
    if (ctx.certificate_check_at_rcpt) {
        if (auto v = certificate_check_at_rcpt(rules, facts, ctx, r.trace)) return done(std::move(*v));
    }
    if (accepted_so_far >= c.max_recipients) {
        r.trace.push_back("connector " + c.name + ": max_recipients " + std::to_string(c.max_recipients) + " reached");
        r.recipient_limit = true;
        return done(make_reply(Action::tempfail, 452, "4.5.3", "Too many recipients",
                               "connector " + c.name + ": max_recipients"));
    }
    bool relay = ctx.rights & bit(Right::accept_any_recipient);
    const AcceptedDomain* ad = find_accepted_domain(rules, rcpt.domain);
    if (ad) {
        r.trace.push_back("recipient domain " + rcpt.domain + ": accepted domain " + ad->domain.str());
    } else {
        r.trace.push_back("recipient domain " + rcpt.domain + ": not an accepted domain");
    }
    auto relay_denied = [&](std::string rule) {
        return make_reply(Action::reject, 554, "5.7.1", angle(rcpt) + ": Relay access denied", std::move(rule));
    };
    if (ad && rcpt.has_routing_characters && !relay) {
        // Postfix/Sendmail may reroute %, ! and quoted @ in local domains (README "Address patterns").
        r.trace.push_back("local part of <" + rcpt.str() + "> has routing characters and the session lacks "
                          "accept-any-recipient");
        return done(relay_denied("connector " + c.name + ": routing characters, no accept-any-recipient"));
    }
    if (!ad && !relay) return done(relay_denied("connector " + c.name + ": no accept-any-recipient"));
    if (!ad) r.trace.push_back("relaying allowed by accept-any-recipient");
    r.relay_granted = true;

    MatchEnv env{rules, &r.trace};
    if (ad && ad->type == DomainType::authoritative && ad->recipients) {
        std::string rule = "accepted domain " + ad->domain.str() + ": recipients";
        Match m = match_patterns(env, *ad->recipients, rcpt);
        if (m == Match::unknown) return done(internal_error(rule));
        if (m == Match::no_match) {
            r.trace.push_back("<" + rcpt.str() + "> is not in the recipient list of " + ad->domain.str());
            return done(make_reply(Action::reject, 550, "5.1.1", angle(rcpt) + ": User unknown", rule));
        }
    }
    // An authenticated null sender is judged as the login's address (matchers.hpp match_sender).
    const std::string* login = ctx.authenticated && facts.auth_login ? &*facts.auth_login : nullptr;
    if (auto v = check_restrictions(env, ctx, login, rcpt, r.trace)) return done(std::move(*v));
    if (auto v = check_recipient_policies(env, ctx, login, rcpt, r.trace)) return done(std::move(*v));

    if (!ad || ad->type != DomainType::authoritative) {
        // Not route_recipient: its "no route" on failure would accept a relayed recipient without
        // its route and outbound TLS policy. A failure here must answer 451 4.3.0.
        r.route = detail::route_impl(rules, rcpt, &r.trace);
        if (!r.route) r.trace.push_back("no send connector routes " + rcpt.domain + ": the MTA's own routing applies");
    }
    return done(make_reply(Action::accept, 250, "2.1.5", "Ok", ""));
}

}  // namespace

RcptResult evaluate_rcpt(const Ruleset& rules, const SessionFacts& facts, MailContext& context,
                         const Address& recipient, std::size_t accepted_so_far) noexcept {
    return detail::guarded_stage<RcptResult>(
        "RCPT", [&] { return rcpt_impl(rules, facts, context, recipient, accepted_so_far); });
}

}  // namespace mw::policy
