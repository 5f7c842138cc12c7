// Per-connection state of the milter, owned through smfi_setpriv and freed in xxfi_close.
// libmilter may run one connection's callbacks on different worker threads, but never two at
// once, so the session needs no lock of its own.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "milter/milter_service.hpp"
#include "policy/engine.hpp"

namespace mw::milter {

struct MilterSession {
    // Protocol steps negotiated without a reply (SMFIP_NR_*): their callbacks must answer
    // SMFIS_NOREPLY, and a failure there is remembered and answered at the next step that replies.
    unsigned long no_reply_steps = 0;
    bool failed_without_reply = false;
    bool counted = false;  // counted in sessions_active (from connect on)

    std::shared_ptr<const policy::Ruleset> rules;  // pinned for the whole connection
    policy::SessionFacts facts;
    policy::ConnectResult connect;
    ConnectionKey key;
    std::string client_text;  // "name[addr]" for logs

    // The current transaction (MAIL .. end of message or abort).
    std::optional<policy::MailResult> mail;
    std::string sender_text;  // as the client wrote it, for logs
    std::vector<mw::Address> recipients;
    policy::HeaderFacts headers;
    std::uint64_t header_bytes = 0;
    // Headers are kept up to these limits (Postfix caps each header, not their number); a message
    // beyond them is refused at its end rather than held in memory whole.
    bool headers_over_limit = false;
    std::uint64_t body_bytes = 0;
    // The body itself is kept only when the pinned rules read the content (Ruleset::needs_content),
    // up to the connector's max_message_size: a larger message is refused for its size anyway.
    bool keep_body = false;
    std::string body;
    std::string queue_id;

    void reset_transaction() {
        failed_without_reply = false;
        mail.reset();
        sender_text.clear();
        recipients.clear();
        headers.fields.clear();
        header_bytes = 0;
        headers_over_limit = false;
        body_bytes = 0;
        keep_body = false;
        body.clear();
        body.shrink_to_fit();
        queue_id.clear();
    }
};

}  // namespace mw::milter
