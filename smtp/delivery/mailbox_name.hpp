// Which Maildir a local recipient's mail goes to (README "Local delivery"): the template's
// {domain} is the recipient's (normalized) domain and {user} the recipient-list entry's local part;
// without a recipient list, the lower-cased local part, only if it matches [a-z0-9._+-]+ and does not
// start with "." -- anything else is refused at RCPT with 550 5.1.3, so no address can name a path.
#pragma once

#include <optional>
#include <string>

#include "policy/address.hpp"
#include "policy/ruleset.hpp"

namespace mw::smtp::delivery {

// nullopt: the local part cannot name a mailbox (the server answers
// `550 5.1.3 <rcpt>: Bad recipient address syntax`).
std::optional<std::string> mailbox_user(const Address& recipient);

// True when the recipient's domain is an authoritative accepted domain (exact before wildcard):
// mail for it is delivered here, to Maildir or LMTP. Everything else leaves through outbound
// delivery (not in this version: such mail stays queued).
bool is_local_recipient(const policy::Ruleset& rules, const Address& recipient);

}  // namespace mw::smtp::delivery
