// Connect stage: which receive connector serves the session (README "Receive connectors and permission groups"; docs/design.md
// "Most specific wins": the binding first, then the longest matching remote range, as Exchange).
#include "policy/engine_internal.hpp"

namespace mw::policy {

namespace {

std::string endpoint_text(const IpAddress& address, std::uint16_t port) {
    std::string a = address.to_string();
    return (address.v4 ? a : "[" + a + "]") + ":" + std::to_string(port);
}

// Prefix length on the common IPv6 scale, so an IPv4 /24 and an IPv6 /64 compare by specificity.
int effective_prefix(const IpNetwork& n) { return n.address.v4 ? n.prefix + 96 : n.prefix; }

// The most specific remote range of `c` containing the client, or null.
const IpNetwork* best_remote(const ReceiveConnector& c, const IpAddress& client) {
    const IpNetwork* best = nullptr;
    for (const auto& n : c.remote)
        if (n.contains(client) && (!best || effective_prefix(n) > effective_prefix(*best))) best = &n;
    return best;
}

bool binds(const ReceiveConnector& c, const IpAddress& address, std::uint16_t port) {
    for (const auto& e : c.bind)
        if (e.matches(address, port)) return true;
    return false;
}

// Among the candidates (file order), the longest remote prefix containing the client; ties keep
// the earlier connector.
void choose(ConnectResult& result, const std::vector<const ReceiveConnector*>& candidates,
            const SessionFacts& facts, const std::string& binding) {
    const ReceiveConnector* winner = nullptr;
    const IpNetwork* winner_net = nullptr;
    for (const auto* c : candidates) {
        const IpNetwork* n = best_remote(*c, facts.client_address);
        if (!n) {
            result.trace.push_back("connector " + c->name + ": binding " + binding + ", client " +
                                   facts.client_address.to_string() + " not in its remote ranges");
            continue;
        }
        if (!winner || effective_prefix(*n) > effective_prefix(*winner_net)) {
            winner = c;
            winner_net = n;
        }
    }
    if (!winner) {
        result.verdict = make_reply(Action::reject, 554, "5.7.1", "Access denied",
                                    "no receive connector on " + binding + " accepts client " +
                                        facts.client_address.to_string());
        result.trace.push_back("no receive connector on " + binding + " accepts client " +
                               facts.client_address.to_string() + ": 554 5.7.1 Access denied");
        return;
    }
    for (const auto* c : candidates) {
        if (c == winner) continue;
        if (const IpNetwork* n = best_remote(*c, facts.client_address))
            result.trace.push_back("connector " + c->name + ": binding " + binding + ", remote " + n->to_string() +
                                   " (less specific)");
    }
    result.connector = winner;
    result.verdict = make_reply(Action::accept, 250, "2.0.0", "Ok", "connector " + winner->name);
    result.trace.push_back("connector " + winner->name + ": binding " + binding + ", remote " +
                           winner_net->to_string() + " (longest match)");
}

void connect_standalone(const Ruleset& rules, const SessionFacts& facts, ConnectResult& result) {
    if (!facts.local_address || !facts.local_port) {
        // Without the local endpoint no binding can be matched: refuse rather than guess.
        result.verdict = make_reply(Action::reject, 554, "5.7.1", "Access denied", "no local address");
        result.trace.push_back("no local address/port known: 554 5.7.1 Access denied");
        return;
    }
    std::string binding = endpoint_text(*facts.local_address, *facts.local_port);
    std::vector<const ReceiveConnector*> candidates;
    for (const auto& c : rules.receive_connectors)
        if (binds(c, *facts.local_address, *facts.local_port)) candidates.push_back(&c);
    if (candidates.empty()) {
        result.verdict =
            make_reply(Action::reject, 554, "5.7.1", "Access denied", "no receive connector binds " + binding);
        result.trace.push_back("no receive connector binds " + binding + ": 554 5.7.1 Access denied");
        return;
    }
    choose(result, candidates, facts, binding);
}

void connect_milter(const Ruleset& rules, const SessionFacts& facts, ConnectResult& result) {
    // The MTAs ignore or delay connect-stage milter replies: every refusal is given at MAIL.
    result.answer_at_mail = true;
    std::vector<const ReceiveConnector*> candidates;
    std::string binding;
    if (facts.daemon_name) {
        for (const auto& c : rules.receive_connectors)
            if (c.daemon_name && *c.daemon_name == *facts.daemon_name) candidates.push_back(&c);
        binding = *facts.daemon_name;
        if (candidates.empty())
            result.trace.push_back("no receive connector has daemon_name '" + *facts.daemon_name + "'");
    }
    if (candidates.empty() && facts.local_address && facts.local_port) {
        binding = endpoint_text(*facts.local_address, *facts.local_port);
        for (const auto& c : rules.receive_connectors)
            if (binds(c, *facts.local_address, *facts.local_port)) candidates.push_back(&c);
        if (candidates.empty()) result.trace.push_back("no receive connector binds " + binding);
    }
    if (candidates.empty()) {
        // A configuration error, not the client's fault: 4xx so that nothing bounces.
        std::string rule = facts.daemon_name ? "no receive connector for daemon '" + *facts.daemon_name + "'"
                           : binding.empty() ? "no receive connector (no daemon name or address known)"
                                             : "no receive connector for " + binding;
        result.verdict = make_reply(Action::tempfail, 451, "4.3.5", "No receive connector for this service", rule);
        result.trace.push_back(rule + ": 451 4.3.5 No receive connector for this service");
        return;
    }
    choose(result, candidates, facts, binding);
}


// Runs a connect-stage evaluation; any failure refuses (451 4.3.0), never picks a connector.
template <typename Evaluate>
ConnectResult guarded_connect(const SessionFacts& facts, Evaluate&& evaluate) noexcept {
    ConnectResult result;
    try {
        evaluate(result);
    } catch (...) {
        result.connector = nullptr;
        result.verdict = internal_error("internal error at connect");
        result.answer_at_mail = facts.mta != Mta::standalone;
        detail::trace_internal_error(result.trace, "connect");
    }
    return result;
}

}  // namespace

ConnectResult evaluate_connect(const Ruleset& rules, const SessionFacts& facts) noexcept {
    return guarded_connect(facts, [&](ConnectResult& result) {
        if (facts.mta == Mta::standalone) {
            connect_standalone(rules, facts, result);
        } else {
            connect_milter(rules, facts, result);
        }
    });
}

ConnectResult evaluate_connect_to(const Ruleset&, const SessionFacts& facts, const ReceiveConnector& connector) noexcept {
    return guarded_connect(facts, [&](ConnectResult& result) {
        // Milter mode gives every refusal at MAIL (the MTAs do not deliver connect-stage replies).
        result.answer_at_mail = facts.mta != Mta::standalone;
        choose(result, {&connector}, facts, "connector " + connector.name + " (named)");
    });
}

}  // namespace mw::policy
