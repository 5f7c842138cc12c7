// DATA and BDAT, and the end of a message: limits, the policy engine's message stage, header edits,
// our Received: field, then the durable queue -- 250 only once the queue says the message is on
// stable storage (docs/design.md decision 3).
#include <algorithm>
#include <ctime>

#include "frontdoor/message_content.hpp"
#include "frontdoor/message_result.hpp"

#include "smtp/server/message_headers.hpp"
#include "smtp/server/received_header.hpp"
#include "smtp/server/session.hpp"

namespace mw::smtp::server {

namespace {

// The queue's completion, delivered on the session's executor.
template <typename Token>
auto async_submit(queue::Queue& q, std::string id, queue::Envelope envelope, std::string body, Token&& token) {
    return asio::async_initiate<Token, void(std::optional<Error>)>(
        [&q](auto handler, std::string id, queue::Envelope envelope, std::string body) {
            auto executor = asio::get_associated_executor(handler);
            auto shared = std::make_shared<decltype(handler)>(std::move(handler));
            q.submit(std::move(id), std::move(envelope), std::move(body), [shared, executor](Result<queue::SubmitOk> r) {
                std::optional<Error> error;
                if (!r) error = r.error();
                asio::post(executor, [shared, error = std::move(error)]() mutable { (*shared)(std::move(error)); });
            });
        },
        token, std::move(id), std::move(envelope), std::move(body));
}

std::vector<std::string> recipient_texts(const std::vector<Address>& rcpts) {
    std::vector<std::string> out;
    for (const auto& r : rcpts) out.push_back(r.str());
    return out;
}

}  // namespace

asio::awaitable<Session::Flow> Session::on_data() {
    if (!tx_) {
        co_return refuse(Reply{503, "5.5.1", "Error: need MAIL command"});
    }
    if (tx_->bdat) {
        co_return refuse(Reply{503, "5.5.1", "Error: DATA after BDAT"});
    }
    if (tx_->recipients.empty()) {
        // RFC 2920 3.1: a pipelined DATA after refused recipients gets 554, not 354.
        co_return refuse(Reply{554, "5.5.1", "Error: no valid recipients"});
    }
    reply(Reply{354, "", "End data with <CR><LF>.<CR><LF>"});
    co_await flush();
    DataDecoder decoder(connect_.connector->max_message_size);
    for (;;) {
        auto step = decoder.feed(reader_.pending());
        reader_.take(step.consumed);
        if (step.status == DataDecoder::Status::bare_cr_lf) {
            log_event("bare CR or LF in the message from " + client_text() + "; disconnecting");
            reset_transaction();
            reply(Reply{521, "5.5.2", "Bare CR or LF received"});
            co_return Flow::close;
        }
        if (step.status == DataDecoder::Status::done) break;
        if (!co_await read_more()) co_return Flow::close;
    }
    std::uint64_t size = decoder.size();
    if (decoder.oversize()) {
        auto v = policy::make_reply(policy::Action::reject, 552, "5.3.4",
                                    "Message size exceeds fixed maximum message size", "connector max_message_size");
        log_decision("END-OF-MESSAGE", v, {}, tx_->mail.raw);
        reset_transaction();
        reply(v);
        co_return Flow::proceed;
    }
    co_return co_await finish_message(std::move(decoder.message()), size, decoder.line_too_long());
}

asio::awaitable<Session::Flow> Session::on_bdat(const Command& c) {
    auto parsed = parse_bdat(c.argument);
    if (auto* error = std::get_if<Reply>(&parsed)) {
        // The chunk size is unknown, so its bytes cannot be skipped: the stream is lost.
        reply(*error);
        co_return Flow::close;
    }
    Bdat bdat = std::get<Bdat>(parsed);
    // RFC 3030 2: the chunk is read whatever the answer will be.
    std::string chunk;
    std::uint64_t max = connect_.connector->max_message_size;
    std::uint64_t kept_so_far = tx_ ? tx_->bdat_content.size() : 0;
    std::uint64_t remaining = bdat.size;
    bool keep = tx_ && !tx_->recipients.empty() && !tx_->bdat_failed && kept_so_far + bdat.size <= max;
    if (keep) chunk.reserve(static_cast<std::size_t>(bdat.size));
    while (remaining > 0) {
        if (reader_.empty() && !co_await read_more()) co_return Flow::close;
        std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining, reader_.pending().size()));
        std::string piece = reader_.take(n);
        if (keep) chunk += piece;
        remaining -= n;
    }
    if (!tx_) {
        co_return refuse(Reply{503, "5.5.1", "Error: need MAIL command"});
    }
    if (tx_->recipients.empty()) {
        co_return refuse(Reply{554, "5.5.1", "Error: no valid recipients"});
    }
    if (tx_->bdat_failed) {
        // Chunks the client pipelined before it saw the failure: answered, not counted as errors.
        reply(Reply{503, "5.5.1", "Error: an earlier BDAT failed; send RSET"});
        co_return Flow::proceed;
    }
    tx_->bdat = true;
    if (keep) {
        if (!tx_->bdat_checker.feed(chunk)) {
            log_event("bare CR or LF in a BDAT chunk from " + client_text() + "; disconnecting");
            reset_transaction();
            reply(Reply{521, "5.5.2", "Bare CR or LF received"});
            co_return Flow::close;
        }
        tx_->bdat_content += chunk;
        tx_->bdat_size += bdat.size;
    } else {
        tx_->bdat_size += bdat.size;
    }
    if (tx_->bdat_size > max) {
        auto v = policy::make_reply(policy::Action::reject, 552, "5.3.4",
                                    "Message size exceeds fixed maximum message size", "connector max_message_size");
        log_decision("END-OF-MESSAGE", v, {}, tx_->mail.raw);
        tx_->bdat_failed = true;
        tx_->bdat_content.clear();
        tx_->bdat_content.shrink_to_fit();
        reply(v);
        co_return Flow::proceed;
    }
    if (!bdat.last) {
        reply(Reply{250, "2.0.0", std::to_string(bdat.size) + " bytes received"});
        co_return Flow::proceed;
    }
    if (!tx_->bdat_checker.finish()) {
        reset_transaction();
        reply(Reply{521, "5.5.2", "Bare CR or LF received"});
        co_return Flow::close;
    }
    std::string content = std::move(tx_->bdat_content);
    // A message without a final line end gets one, as DATA content always has.
    if (!content.empty() && content.back() != '\n') content += "\r\n";
    co_return co_await finish_message(std::move(content), tx_->bdat_size, tx_->bdat_checker.line_too_long());
}

asio::awaitable<Session::Flow> Session::finish_message(std::string content, std::uint64_t size, bool line_too_long) {
    Transaction tx = std::move(*tx_);
    tx_.reset();
    std::vector<Address> recipients;
    for (const auto& r : tx.recipients) recipients.push_back(r.address);
    const std::vector<std::string> to = recipient_texts(recipients);
    if (line_too_long) {
        auto v = policy::make_reply(policy::Action::reject, 500, "5.5.2", "Line too long", "RFC 5321 4.5.3.1.6 text line limit");
        log_decision("END-OF-MESSAGE", v, to, tx.mail.raw);
        reply(v);
        co_return Flow::proceed;
    }
    ParsedHeaders headers = parse_headers(content);
    if (frontdoor::header_over_limit(headers.facts.fields.size(), headers.body_offset)) {
        auto v = frontdoor::header_limit_verdict();
        log_decision("END-OF-MESSAGE", v, to, tx.mail.raw);
        reply(v);
        co_return Flow::proceed;
    }
    // A message that already went through max_hops hosts is looping (RFC 5321 section 6.3): refused
    // here rather than accepted and bounced, so no bounce goes back around the loop.
    if (received_fields(headers.facts) + 1 > shared_.max_hops) {
        auto v = policy::make_reply(policy::Action::reject, 554, "5.4.6", "Too many hops",
                                    "max_hops " + std::to_string(shared_.max_hops));
        log_decision("END-OF-MESSAGE", v, to, tx.mail.raw);
        reply(v);
        co_return Flow::proceed;
    }
    // The content is inspected only when the rules read it; the parse runs on this I/O thread
    // (the server runs one per core), bounded by the connector's max_message_size and [mime].
    auto inspected = frontdoor::inspect_content(*rules_, content);
    if (!inspected) {
        log_event("warning: MIME inspection failed for a message from " + client_text() + ": " + inspected.error().detail);
        auto v = policy::internal_error("MIME inspection");
        log_decision("END-OF-MESSAGE", v, to, tx.mail.raw);
        reply(v);
        co_return Flow::proceed;
    }
    if (auto line = frontdoor::malformed_line(*inspected, "NOQUEUE", client_text()); !line.empty()) log_event(line);
    const policy::MessageContent* inspection = inspected->has_value() ? &**inspected : nullptr;
    auto result = policy::evaluate_message(*rules_, facts_, tx.policy.context, recipients, headers.facts, size, inspection);
    policy::Verdict v = frontdoor::message_verdict(result);
    if (v.action == policy::Action::reject || v.action == policy::Action::tempfail) {
        shared_.counters.messages_refused++;
        log_decision("END-OF-MESSAGE", v, to, tx.mail.raw);
        reply(v);
        co_return Flow::proceed;
    }
    if (v.action == policy::Action::discard) {
        log_decision("END-OF-MESSAGE", v, to, tx.mail.raw);
        reply(Reply{250, "2.0.0", "Ok: discarded"});
        co_return Flow::proceed;
    }

    // The envelope as delivered: redirects remove the original recipients, add_bcc adds some.
    queue::Envelope envelope;
    envelope.sender = tx.mail.sender.null ? "" : tx.mail.sender.str();
    envelope.dsn_ret = tx.mail.ret;
    envelope.dsn_envid = tx.mail.envid;
    envelope.smtputf8 = tx.mail.smtputf8;
    envelope.body_8bit = tx.mail.body == Body::eight_bit_mime;
    envelope.client = client_text();
    envelope.helo = facts_.helo;
    envelope.connector = connect_.connector->name;
    envelope.arrival = static_cast<std::int64_t>(std::time(nullptr));
    // Quarantine (README "Delivery restrictions, recipient policies, transport rules"): the message waits on hold for an admin.
    envelope.hold = v.action == policy::Action::quarantine;
    for (const Address& a : frontdoor::final_recipients(recipients, result)) {
        // A recipient of the transaction keeps its DSN parameters; an added one gets the defaults.
        auto given = std::find_if(tx.recipients.begin(), tx.recipients.end(), [&](const Recipient& r) { return r.address == a; });
        if (given != tx.recipients.end())
            envelope.recipients.push_back(queue::Recipient{a.str(), given->params.orcpt, given->params.notify, {}, {}, {}});
        else
            envelope.recipients.push_back(queue::Recipient{a.str(), "", queue::notify_default, {}, {}, {}});
    }

    queue_id_ = shared_.queue->new_id();
    ReceivedInfo info;
    info.helo = facts_.helo;
    info.client_name = facts_.client_name;
    info.client_address = facts_.client_address.v4 ? client_address_text_ : "IPv6:" + client_address_text_;
    info.hostname = rules_->organization.hostname;
    info.queue_id = queue_id_;
    info.esmtp = esmtp_;
    info.tls = io_.tls_active();
    info.authenticated = facts_.auth_login.has_value();
    info.smtputf8 = tx.mail.smtputf8;
    if (facts_.tls) {
        info.tls_version = facts_.tls->version;
        info.tls_cipher = facts_.tls->cipher;
        info.cipher_bits = certs::cipher_bits(io_.ssl());
    }
    if (tx.recipients.size() == 1) info.single_recipient = tx.recipients.front().address.str();
    info.time = envelope.arrival;
    std::string body = received_header(info);
    body += apply_header_edits(content, headers, result.header_edits);
    content.clear();
    content.shrink_to_fit();

    auto error = co_await async_submit(*shared_.queue, queue_id_, std::move(envelope), std::move(body), asio::use_awaitable);
    if (error) {
        bool full = error->is(ErrorCode::storage_full);
        auto refusal = full ? policy::make_reply(policy::Action::tempfail, 452, "4.3.1", "Insufficient system storage",
                                                 "queue full: " + error->detail)
                            : policy::internal_error("queue: " + error->origin + ": " + error->detail);
        log_decision("END-OF-MESSAGE", refusal, to, tx.mail.raw);
        queue_id_.clear();
        reply(refusal);
        co_return Flow::proceed;
    }
    shared_.counters.messages_queued++;
    log_decision("END-OF-MESSAGE", v, to, tx.mail.raw);
    if (shared_.hooks.queued) shared_.hooks.queued();
    reply(Reply{250, "2.0.0", "Ok: queued as " + queue_id_});
    queue_id_.clear();
    co_return Flow::proceed;
}

}  // namespace mw::smtp::server
