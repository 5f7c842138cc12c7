// ETRN (RFC 1985): who may ask for a domain's queued mail, and for which domains (README "ETRN").
#include "policy/accepted_domains.hpp"
#include "policy/engine_internal.hpp"

namespace mw::policy {

namespace {

MailContext session_context(const SessionFacts& facts, const ConnectResult& connect) {
    MailContext ctx;
    ctx.connector = connect.connector;
    ctx.authenticated = facts.auth_login.has_value();
    detail::assign_groups(ctx);
    return ctx;
}

EtrnResult etrn_impl(const Ruleset& rules, const SessionFacts& facts, const ConnectResult& connect,
                     std::string_view domain, bool subdomains) {
    EtrnResult r;
    if (!connect.verdict.continues()) {
        r.verdict = connect.verdict;
        return r;
    }
    if (!connect.connector) {
        r.verdict = internal_error("no receive connector");
        r.trace.push_back("ETRN: connect accepted without a connector: fails closed");
        return r;
    }
    const std::string& cname = connect.connector->name;
    const std::string node = (subdomains ? "@" : "") + std::string(domain);
    MailContext ctx = session_context(facts, connect);
    r.trace.push_back("groups: " + detail::describe_groups(ctx.groups) + "; rights: " + detail::describe_rights(ctx.rights));
    if (!(ctx.rights & bit(Right::etrn))) {
        r.trace.push_back("connector " + cname + ": the session lacks etrn");
        // Not 459: the node is not what is refused, and a 4xx would only make the client try again.
        r.verdict = make_reply(Action::reject, 502, "5.7.0", "Error: ETRN not permitted", "connector " + cname + ": no etrn");
        return r;
    }
    auto refuse = [&](const std::string& why) {
        r.trace.push_back("ETRN " + node + ": " + why);
        r.verdict = make_reply(Action::tempfail, 459, "4.7.1", "Node " + node + " not allowed: " + why,
                               "connector " + cname + ": etrn node");
        return r;
    };
    // Mail for our own domains is delivered at once, never queued for somebody to collect.
    if (is_authoritative_domain(rules, domain)) return refuse("mail for it is delivered here");
    Address probe;
    probe.local = "postmaster";
    probe.domain = std::string(domain);
    auto route = find_route(rules, probe, &r.trace);
    if (!route) {
        r.verdict = internal_error("etrn route of " + node);
        return r;
    }
    if (!*route) return refuse("no send connector routes it");
    r.trace.push_back("ETRN " + node + ": send connector " + (*route)->send_connector + " routes it, etrn granted");
    r.verdict = make_reply(Action::accept, 250, "2.0.0", "Queuing for node " + node + " started",
                           "send connector " + (*route)->send_connector);
    return r;
}

}  // namespace

Rights session_rights(const SessionFacts& facts, const ConnectResult& connect) noexcept {
    if (!connect.connector || !connect.verdict.continues()) return 0;
    try {
        return session_context(facts, connect).rights;
    } catch (...) {
        return 0;  // out of memory: offer nothing (ETRN itself is judged again, failing closed)
    }
}

EtrnResult evaluate_etrn(const Ruleset& rules, const SessionFacts& facts, const ConnectResult& connect,
                         std::string_view domain, bool subdomains) noexcept {
    return detail::guarded_stage<EtrnResult>("ETRN", [&] { return etrn_impl(rules, facts, connect, domain, subdomains); });
}

}  // namespace mw::policy
