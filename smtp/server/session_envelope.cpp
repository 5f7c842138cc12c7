// MAIL and RCPT: sequence checks, parameter parsing, then the policy engine (the same evaluate_mail
// and evaluate_rcpt the milter calls), plus what only standalone mode checks: the local courier's own refusals.
#include <cctype>

#include "frontdoor/message_result.hpp"
#include "smtp/delivery/mailbox_name.hpp"
#include "smtp/server/session.hpp"

namespace mw::smtp::server {

asio::awaitable<Session::Flow> Session::on_mail(const Command& c) {
    if (!greeted_) {
        co_return refuse(Reply{503, "5.5.1", "Error: send HELO/EHLO first"});
    }
    if (tx_) {
        co_return refuse(Reply{503, "5.5.1", "Error: nested MAIL command"});
    }
    auto parsed = parse_mail_from(c.argument);
    if (auto* error = std::get_if<Reply>(&parsed)) {
        reply(*error);
        co_return too_many_errors() ? Flow::close : Flow::proceed;
    }
    auto& mail = std::get<MailFrom>(parsed);
    if (!esmtp_ && (mail.size || mail.smtputf8 || mail.body != Body::seven_bit || !mail.ret.empty() ||
                    !mail.envid.empty() || !mail.auth.empty())) {
        // RFC 5321 4.1.1.11: parameters only after EHLO.
        co_return refuse(Reply{555, "5.5.4", "Unsupported option: parameters need EHLO"});
    }
    auto result = policy::evaluate_mail(*rules_, facts_, connect_, mail.sender, mail.size);
    if (!result.verdict.continues()) {
        log_decision("MAIL", result.verdict, {}, mail.raw);
        reply(result.verdict);
        co_return too_many_errors() ? Flow::close : Flow::proceed;
    }
    tx_.emplace();
    tx_->mail = std::move(mail);
    tx_->policy = std::move(result);
    reply(Reply{250, "2.1.0", "Ok"});
    co_return Flow::proceed;
}

asio::awaitable<Session::Flow> Session::on_rcpt(const Command& c) {
    if (!tx_) {
        co_return refuse(Reply{503, "5.5.1", "Error: need MAIL command"});
    }
    if (tx_->bdat) {
        co_return refuse(Reply{503, "5.5.1", "Error: RCPT after BDAT"});
    }
    auto parsed = parse_rcpt_to(c.argument, tx_->mail.smtputf8);
    if (auto* error = std::get_if<Reply>(&parsed)) {
        reply(*error);
        co_return too_many_errors() ? Flow::close : Flow::proceed;
    }
    auto& rcpt = std::get<RcptTo>(parsed);
    if (!esmtp_ && (rcpt.notify != 0 || !rcpt.orcpt.empty())) {
        co_return refuse(Reply{555, "5.5.4", "Unsupported option: parameters need EHLO"});
    }
    auto result = policy::evaluate_rcpt(*rules_, facts_, tx_->policy.context, rcpt.recipient, tx_->recipients.size());
    policy::Verdict verdict = result.verdict;
    if (verdict.continues() && shared_.hooks.check_local_recipient &&
        delivery::is_local_recipient(*rules_, rcpt.recipient)) {
        // README "Local delivery": the courier that would deliver it may refuse it now, rather than
        // accept a message it can only bounce.
        if (auto refusal = shared_.hooks.check_local_recipient(rcpt.recipient)) {
            std::string text = refusal->text;
            if (!text.empty()) text[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(text[0])));
            verdict = policy::make_reply(policy::Action::reject, refusal->code, refusal->status,
                                         "<" + rcpt.raw + ">: " + text, "local delivery: " + refusal->text);
        }
    }
    log_decision("RCPT", verdict, {rcpt.raw}, tx_->mail.raw);
    if (!verdict.continues()) {
        if (verdict.code >= 500) co_await tarpit();
        reply(verdict);
        // Too many recipients is the client's pipelining running ahead, not an error (RFC 5321 4.5.3.1.10).
        if (result.recipient_limit) co_return Flow::proceed;
        co_return too_many_errors() ? Flow::close : Flow::proceed;
    }
    frontdoor::add_recipient(tx_->recipients, Recipient{rcpt.recipient, std::move(rcpt)},
                             [](const Recipient& r) -> const Address& { return r.address; });
    reply(Reply{250, "2.1.5", "Ok"});
    co_return Flow::proceed;
}

}  // namespace mw::smtp::server
