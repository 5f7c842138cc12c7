// The delivery seam: a courier takes one message to a set of recipients and answers for each of
// them. The delivery agent picks a courier by the recipient's route and never knows which one it
// talks to (a mailbox directory, an LMTP server, other SMTP servers); the queue never knows there
// are couriers at all. What the agent needs to write its Postfix-style log line the courier says
// itself: its relay name and whether its outcomes are a remote server's replies.
//
// Threads: deliver() is called by the delivery agent's workers, several at once (each with another
// message); check_recipient() is const and may be called from any thread (an SMTP session
// deciding RCPT).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/address.hpp"
#include "policy/ruleset.hpp"
#include "smtp/delivery/delivery_outcome.hpp"

namespace mw::smtp::delivery {

// The envelope and content of one message, as the queue holds it.
struct CourierMessage {
    std::string queue_id;    // for the courier's own log lines
    std::string sender;      // without <>; "" = null reverse path
    bool body_8bit = false;  // BODY=8BITMIME was given at MAIL
    bool smtputf8 = false;   // SMTPUTF8 was given at MAIL
    std::string_view data;   // the message, CRLF line endings
    std::string dsn_ret;     // RET as queued: "FULL", "HDRS" or ""
    std::string dsn_envid;   // ENVID, decoded; "" = none
    // The rules in force for this attempt (routes, TLS policy); never null when the agent calls.
    const policy::Ruleset* rules = nullptr;
};

struct CourierRecipient {
    std::string address;  // as queued (as the client wrote it), without <>
    Address parsed;       // normalized: domain lower-cased, the local part as the rules see it
    std::uint8_t notify = 0;  // queue::NotifyFlags as queued
    std::string orcpt;        // DSN ORCPT as queued ("rfc822;bob@example.com"), may be empty
};

class Courier {
public:
    virtual ~Courier() = default;

    // Whether this courier could ever take mail for `recipient`, decided without delivering: a
    // refusal (permanent) lets the SMTP server answer at RCPT, before DATA, and makes the agent
    // bounce a recipient that was queued before the rules changed without trying. nullopt: let
    // deliver() decide. The default leaves everything to deliver() (an LMTP server checks its
    // users itself, at its own RCPT).
    virtual std::optional<DeliveryOutcome> check_recipient(const Address& recipient) const;

    // One outcome per recipient, in order. A courier never throws: what goes wrong on its side
    // (a server down, a full disk) is a temporary outcome, so the queue keeps the message.
    virtual std::vector<DeliveryOutcome> deliver(const CourierMessage& message,
                                                 const std::vector<CourierRecipient>& recipients) = 0;

    // Called by the agent about once a second, from its dispatcher: time to close what was kept
    // open too long (the SMTP courier's idle connections).
    virtual void tick() {}

    // An admin's `queue flush` or an ETRN: forget what was learnt about failing servers (the SMTP
    // courier's addresses that refused connections lately), so the flushed mail is really tried
    // (Postfix's flush also revives its dead destinations).
    virtual void forget_failures() {}

    // The log's relay= field: "local", "lmtp[/run/dovecot/lmtp]".
    virtual std::string relay_name() const = 0;

    // True when an outcome's reply is what a remote server said (or a reply in its place, such as
    // "451 4.4.1"): the log shows the whole reply, as Postfix's smtp and lmtp clients do. False for
    // replies synthesized here (Maildir), where the log shows only the text.
    virtual bool remote_replies() const = 0;
};

// Where a recipient goes: delivered here (an authoritative accepted domain), or out.
enum class RecipientRoute { local, outbound };
RecipientRoute route_of(const policy::Ruleset& rules, const Address& recipient);

// The couriers the agent chooses from, one per route. Shared: whoever decides RCPT may hold the
// courier the agent delivers with and ask its check_recipient().
struct Couriers {
    std::shared_ptr<Courier> local;
    std::shared_ptr<Courier> outbound;  // SMTP to other servers; none: such recipients wait in the queue

    Courier* for_route(RecipientRoute route) const {
        return (route == RecipientRoute::local ? local : outbound).get();
    }
};

}  // namespace mw::smtp::delivery
