// ETRN (RFC 1985; README "ETRN"): a client with the right `etrn` asks for the mail queued here for
// a domain. Check (state, syntax), policy (the engine: right and node), then proceed: the delivery
// agent schedules that domain's mail now, held mail included for this one attempt.
#include "frontdoor/decision_log.hpp"
#include "smtp/server/session.hpp"

namespace mw::smtp::server {

namespace {

// Runs the flush on `pool` (it walks the queue's index and syncs it) and completes on the caller's
// executor: an I/O thread never waits for the disk.
template <typename Token>
auto async_etrn(asio::thread_pool& pool, const ServerHooks& hooks, EtrnNode node, Token&& token) {
    return asio::async_initiate<Token, void(Result<std::size_t>)>(
        [&pool, &hooks](auto handler, EtrnNode node) {
            auto executor = asio::get_associated_executor(handler);
            asio::post(pool, [handler = std::move(handler), executor, &hooks, node = std::move(node)]() mutable {
                Result<std::size_t> started = Error{Error::Kind::temporary, "etrn", "no delivery agent"};
                try {
                    if (hooks.etrn) started = hooks.etrn(node.domain, node.subdomains);
                } catch (const std::exception& e) {
                    started = Error{Error::Kind::temporary, "etrn", e.what()};
                }
                asio::post(executor, [handler = std::move(handler), started = std::move(started)]() mutable {
                    std::move(handler)(std::move(started));
                });
            });
        },
        token, std::move(node));
}

}  // namespace

bool Session::etrn_offered() const {
    return (policy::session_rights(facts_, connect_) & policy::bit(policy::Right::etrn)) != 0;
}

asio::awaitable<Session::Flow> Session::on_etrn(const Command& c) {
    // Postfix's order of checks (smtpd.c etrn_cmd): the greeting, no transaction, then the syntax.
    if (!greeted_) co_return refuse(Reply{503, "5.5.1", "Error: send HELO/EHLO first"});
    if (tx_) co_return refuse(Reply{503, "5.5.1", "Error: MAIL transaction in progress"});
    auto parsed = parse_etrn(c.argument);
    if (auto* error = std::get_if<Reply>(&parsed)) co_return refuse(*error);
    EtrnNode node = std::get<EtrnNode>(std::move(parsed));
    const std::string text = (node.subdomains ? "@" : "") + node.domain;

    auto decision = policy::evaluate_etrn(*rules_, facts_, connect_, node.domain, node.subdomains);
    policy::Verdict v = decision.verdict;
    std::optional<std::size_t> messages;
    if (v.continues()) {
        auto started = co_await async_etrn(*shared_.blocking_pool, shared_.hooks, node, asio::use_awaitable);
        if (!started) {
            log_event("warning: ETRN " + text + ": cannot schedule the queue: " + started.error().origin + ": " +
                      started.error().detail);
            // RFC 1985's 458: the request was fine, we could not act on it now.
            v = policy::make_reply(policy::Action::tempfail, 458, "4.3.0", "Unable to queue messages for node " + text,
                                   "queue");
        } else if (*started == 0) {
            messages = 0;
            v = policy::make_reply(policy::Action::accept, 251, "2.0.0", "OK, no messages waiting for node " + text,
                                   v.rule);
        } else {
            messages = *started;
        }
    }
    // One line per decision, as for MAIL and RCPT: "NOQUEUE: accept: ETRN from ...: 250 ...; node=...".
    std::string client = facts_.client_name + "[" + client_address_text_ + "]";
    frontdoor::SessionView view{"", client, &facts_, connect_.connector, esmtp_ ? "ESMTP" : "SMTP"};
    std::string line = frontdoor::session_decision(view, "ETRN", v, std::nullopt, {});
    line += frontdoor::field("node", text);
    if (messages) line += frontdoor::field("messages", std::to_string(*messages));
    shared_.log(line);
    if (!v.continues()) co_return refuse(v.reply());
    reply(v);
    co_return Flow::proceed;
}

}  // namespace mw::smtp::server
