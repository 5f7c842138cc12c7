// MAIL stage: the checks of README "The order of the checks at MAIL", first failure answers.
#include <algorithm>

#include "policy/engine_internal.hpp"

namespace mw::policy {

namespace {

using detail::assign_groups;
using detail::describe_groups;
using detail::describe_rights;

bool same_mailbox(const Address& a, const Address& b) {
    return !a.null && !b.null && a.local == b.local && a.domain == b.domain;
}

// What the login owns, as one trace line: explain shows it, so an admin sees why a sender is or
// is not the login's without working out login_domain by hand.
std::string describe_ownership(const Ruleset& rules, const std::string& login, const std::optional<Address>& own) {
    bool bare = login.find('@') == std::string::npos;
    const std::string& domain = rules.organization.login_domain;
    std::string line = "login " + login + " owns ";
    if (own) line += "<" + own->str() + ">" + (bare ? " (login_domain " + domain + ")" : "");
    else if (bare && domain.empty()) line += "no address of its own (no login_domain: no authoritative domain)";
    else line += "no address of its own (" + (bare ? login + "@" + domain : login) + " is not a valid address)";
    bool send_as = std::any_of(rules.send_as.begin(), rules.send_as.end(),
                               [&](const SendAs& s) { return iequals(s.login, login); });
    return line + (send_as ? " and its send_as addresses" : ", no send_as addresses");
}

// Does the login own the sender? Its one address (matchers.hpp login_address: a bare login is
// LOGIN@login_domain, not LOGIN@ every accepted domain, which made every bare login a member of
// any group named by a domain), plus its [[send_as]] entries.
Match owns_sender(const MatchEnv& env, const std::string& login, const std::optional<Address>& own,
                  const Address& sender, Trace& trace) {
    if (own && same_mailbox(*own, sender)) {
        trace.push_back("sender <" + sender.str() + "> is the address of login " + login);
        return Match::match;
    }
    Match result = Match::no_match;
    for (const auto& s : env.rules.send_as) {
        if (!iequals(s.login, login)) continue;
        Match m = match_patterns(env, s.addresses, sender);
        if (m == Match::match) trace.push_back("sender <" + sender.str() + "> is a send_as address of " + s.login);
        result = match_or(result, m);
        if (result == Match::match) break;
    }
    return result;
}

// Step 5: sender ownership (authenticated) or anti-spoofing (unauthenticated).
std::optional<Verdict> check_sender(const Ruleset& rules, const SessionFacts& facts, const MailContext& ctx,
                                    Trace& trace) {
    const Address& sender = ctx.sender;
    const std::string& cname = ctx.connector->name;
    std::optional<Address> own;
    if (ctx.authenticated) {
        own = login_address(rules, *facts.auth_login);
        trace.push_back(describe_ownership(rules, *facts.auth_login, own));
    }
    if (sender.null) {
        // Bounces must always get through; an authenticated one is still judged (matchers.hpp match_sender).
        trace.push_back(ctx.authenticated && own
                            ? "null sender <>: no ownership to check; sender patterns judge it as <" + own->str() + ">"
                            : "null sender <>: no ownership to check");
        return std::nullopt;
    }
    MatchEnv env{rules, &trace};
    bool any_sender = ctx.rights & bit(Right::accept_any_sender);
    if (ctx.authenticated) {
        const std::string& login = *facts.auth_login;
        Match owned = owns_sender(env, login, own, sender, trace);
        if (owned == Match::unknown) return internal_error("sender ownership of " + login);
        if (owned == Match::match) return std::nullopt;
        if (any_sender) {
            trace.push_back("sender <" + sender.str() + "> not owned by " + login + ", allowed by accept-any-sender");
            return std::nullopt;
        }
        trace.push_back("sender <" + sender.str() + "> not owned by user " + login + " and no accept-any-sender");
        // Postfix's reject_sender_login_mismatch answers 553 5.7.1 in the same words.
        return make_reply(Action::reject, 553, "5.7.1",
                          "<" + sender.str() + ">: Sender address rejected: not owned by user " + login,
                          "connector " + cname + ": sender not owned by user " + login);
    }
    bool ours = is_inside(rules, sender.domain);
    Right needed = ours ? Right::accept_authoritative_domain_sender : Right::accept_any_sender;
    if (ctx.rights & bit(needed)) {
        trace.push_back(std::string("sender <") + sender.str() + "> " + (ours ? "in an accepted domain" : "outside") +
                        ": " + to_string(needed) + " granted");
        return std::nullopt;
    }
    trace.push_back(std::string("sender <") + sender.str() + "> " + (ours ? "in an accepted domain" : "outside") +
                    ": unauthenticated session lacks " + to_string(needed));
    return make_reply(Action::reject, 550, "5.7.1", "<" + sender.str() + ">: Not authorized to send as this sender",
                      "connector " + cname + ": no " + to_string(needed));
}

// reverse_dns = "require": a client whose address has no PTR name confirmed by its A/AAAA records is
// refused (RFC 7372's 4.7.25), unless it authenticated: a user's home address rarely has one. 450, as
// Postfix's reject_unknown_client_hostname, since DNS may be what is broken.
std::optional<Verdict> check_client_name(const SessionFacts& facts, const ReceiveConnector& c, Trace& trace) {
    if (c.reverse_dns != ReverseDns::require) return std::nullopt;
    if (facts.auth_login) {
        trace.push_back("connector " + c.name + ": reverse_dns require, session authenticated: no name needed");
        return std::nullopt;
    }
    if (client_name_known(facts.client_name)) {
        trace.push_back("connector " + c.name + ": reverse_dns require, client name " + facts.client_name + " confirmed");
        return std::nullopt;
    }
    trace.push_back("connector " + c.name + ": reverse_dns require, client address has no confirmed name");
    return make_reply(Action::tempfail, 450, "4.7.25", "Client host rejected: cannot find your hostname",
                      "connector " + c.name + ": reverse_dns require");
}

// Steps 1-3: TLS demanded by the connector or the sender domain, then the certificate check.
std::optional<Verdict> check_transport_security(const Ruleset& rules, const SessionFacts& facts, MailContext& ctx,
                                                Trace& trace) {
    const ReceiveConnector& c = *ctx.connector;
    auto starttls = [](std::string rule) {
        return make_reply(Action::reject, 530, "5.7.0", "Must issue a STARTTLS command first", std::move(rule));
    };
    if (c.require_tls && !facts.tls) {
        trace.push_back("connector " + c.name + " requires TLS and the session has none");
        return starttls("connector " + c.name + ": require_tls");
    }
    if (ctx.sender.null) return std::nullopt;  // no sender domain: nothing it can demand
    const std::string& domain = ctx.sender.domain;
    for (const auto& t : rules.tls_required) {
        if (!t.receive || !t.domain.matches(domain)) continue;
        if (!facts.tls) {
            trace.push_back("tls_required " + t.domain.str() + ": mail from " + domain + " needs TLS, session has none");
            return starttls("tls_required " + t.domain.str());
        }
        // Exchange 2003's "Require 128-bit encryption": a weaker session is no better than none.
        const TlsVersion version = tls_version_of(facts.tls->version);
        // Every TLS 1.3 suite has at least 128 bits; otherwise the MTA must have said
        // ({cipher_bits}). Not knowing is our configuration's gap, not the sender's fault: 4xx.
        const int bits = facts.tls->cipher_bits > 0 ? facts.tls->cipher_bits : version == TlsVersion::tls1_3 ? 128 : 0;
        if (t.min_cipher_bits > 0 && bits == 0) {
            trace.push_back("tls_required " + t.domain.str() + ": the cipher's strength is not known ({cipher_bits})");
            return make_reply(Action::tempfail, 454, "4.7.0", "TLS cipher strength not known; try again later",
                              "tls_required " + t.domain.str());
        }
        std::string weak;
        if (t.min_tls_version != TlsVersion::any && version < t.min_tls_version)
            weak = "TLS version " + (facts.tls->version.empty() ? std::string("unknown") : facts.tls->version) +
                   " is older than the " + to_string(t.min_tls_version) + " that " + t.domain.str() + " requires";
        else if (t.min_cipher_bits > 0 && bits < t.min_cipher_bits)
            weak = "TLS cipher of " + std::to_string(bits) + " bits is weaker than the " +
                   std::to_string(t.min_cipher_bits) + " bits that " + t.domain.str() + " requires";
        if (!weak.empty()) {
            trace.push_back("tls_required " + t.domain.str() + ": " + weak);
            return make_reply(Action::reject, 530, "5.7.0", "Stronger encryption required: " + weak,
                              "tls_required " + t.domain.str());
        }
    }
    auto req = detail::certificate_requirement(rules, domain);
    if (!req.needed()) return std::nullopt;
    if (facts.mta == Mta::postfix && req.pin) {
        // Postfix hands milters no fingerprint; its policy service does, at RCPT.
        ctx.certificate_check_at_rcpt = true;
        trace.push_back(req.source + ": Postfix mode, certificate check deferred to RCPT (pin known there)");
        return std::nullopt;
    }
    auto check = detail::check_certificate(req, domain, facts);
    if (!check.trusted) {
        trace.push_back(req.source + ": certificate validation failure for " + domain + ": " + check.reason);
        return detail::certificate_failure(rules, req, ctx.sender);
    }
    trace.push_back(req.source + ": " + check.reason);
    if (req.makes_partner()) {
        ctx.domain_secure = domain;
        trace.push_back("domain security passed for " + domain + ": session joins partners");
    }
    return std::nullopt;
}

MailResult mail_impl(const Ruleset& rules, const SessionFacts& facts, const ConnectResult& connect,
                     const Address& sender, std::optional<std::uint64_t> size_param) {
    MailResult r;
    if (!connect.verdict.continues()) {
        r.verdict = connect.verdict;
        r.trace.push_back("MAIL: answering the connect-stage verdict: " + std::to_string(connect.verdict.code) + " " +
                          connect.verdict.status + " " + connect.verdict.text);
        return r;
    }
    if (!connect.connector) {
        r.verdict = internal_error("no receive connector");
        r.trace.push_back("MAIL: connect accepted without a connector: fails closed");
        return r;
    }
    MailContext& ctx = r.context;
    ctx.connector = connect.connector;
    ctx.sender = sender;
    ctx.authenticated = facts.auth_login.has_value();
    assign_groups(ctx);  // before the checks, so every answer shows the session's groups

    if (auto v = check_client_name(facts, *ctx.connector, r.trace)) {
        r.verdict = std::move(*v);
        return r;
    }
    if (auto v = check_transport_security(rules, facts, ctx, r.trace)) {
        r.verdict = std::move(*v);
        return r;
    }
    // Postfix mode, pinned sender domain: partners is decided at RCPT, yet submit and the sender
    // checks are judged now. Judge them as the partner the session claims to be: safe, because at
    // RCPT a failed pin refuses every recipient with 454 4.7.5, so nothing is accepted unless the pin
    // passes — and without it a connector listing only `partners` would answer a genuine partner 530.
    bool tentative = ctx.certificate_check_at_rcpt;
    assign_groups(ctx, tentative);
    const ReceiveConnector& c = *ctx.connector;
    r.trace.push_back("connector " + c.name + ": groups " + describe_groups(ctx.groups) + "; rights " +
                      describe_rights(ctx.rights) +
                      (tentative ? " (partners tentatively, until the Direct Trust pin is checked at RCPT)" : ""));
    // The context leaves MAIL with the groups actually earned: partners only once the pin passed.
    auto confirmed = [&] {
        if (tentative) assign_groups(ctx);
    };
    if (!(ctx.rights & bit(Right::submit))) {
        r.trace.push_back("connector " + c.name + ": no submit right (authentication required)");
        r.verdict = make_reply(Action::reject, 530, "5.7.0", "Authentication required",
                               "connector " + c.name + ": no submit right");
        confirmed();
        return r;
    }
    if (auto v = check_sender(rules, facts, ctx, r.trace)) {
        r.verdict = std::move(*v);
        confirmed();
        return r;
    }
    confirmed();
    if (size_param && *size_param > c.max_message_size) {
        r.trace.push_back("SIZE=" + std::to_string(*size_param) + " exceeds connector " + c.name +
                          " max_message_size " + std::to_string(c.max_message_size));
        r.verdict = make_reply(Action::reject, 552, "5.3.4", "Message size exceeds fixed maximum message size",
                               "connector " + c.name + ": max_message_size");
        return r;
    }
    r.verdict = make_reply(Action::accept, 250, "2.1.0", "Ok", "");
    r.trace.push_back("MAIL FROM:<" + sender.str() + ">: accepted");
    return r;
}

}  // namespace

MailResult evaluate_mail(const Ruleset& rules, const SessionFacts& facts, const ConnectResult& connect,
                         const Address& sender, std::optional<std::uint64_t> size_param) noexcept {
    return detail::guarded_stage<MailResult>("MAIL", [&] { return mail_impl(rules, facts, connect, sender, size_param); });
}

}  // namespace mw::policy
