// What the milter and the SMTP server both do with a transaction, so that both do it the same way:
// keep each recipient once, enforce one header limit, name the transport rules that acted, and work
// out the recipients a message finally goes to.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "policy/address.hpp"
#include "policy/decision.hpp"
#include "policy/engine.hpp"

namespace mw::frontdoor {

// The header section the engine will look at: beyond this many fields or bytes a message is refused
// with 552 5.3.4 (a header bomb costs every transport rule a pass over every field).
inline constexpr std::size_t max_header_fields = 10'000;
inline constexpr std::uint64_t max_header_bytes = 1 << 20;
bool header_over_limit(std::size_t fields, std::uint64_t bytes);
policy::Verdict header_limit_verdict();  // 552 5.3.4 Message header size exceeds the limit

// Adds `recipient` unless the transaction already has it (addresses are normalized, so case does
// not matter): the same recipient twice is delivered once, as Postfix's cleanup does, so repeated
// RCPTs cannot turn one message into a mail bomb. Returns false for a repeat. `address_of` reads
// an element's address, for front doors that keep more per recipient (ORCPT, NOTIFY).
template <typename Recipient, typename AddressOf>
bool add_recipient(std::vector<Recipient>& recipients, Recipient recipient, AddressOf address_of) {
    for (const auto& r : recipients)
        if (address_of(r) == address_of(recipient)) return false;
    recipients.push_back(std::move(recipient));
    return true;
}
inline bool add_recipient(std::vector<Address>& recipients, const Address& recipient) {
    return add_recipient(recipients, recipient, [](const Address& a) -> const Address& { return a; });
}

// The message verdict as logged and applied: when transport rules acted but none of them decided
// the verdict, it is named after them ("transport rules a,b"), so the log says which ones ran.
policy::Verdict message_verdict(const policy::MessageResult& result);

// The recipients a message goes to: the transaction's, minus those a redirect removed, plus the
// added ones (add_bcc, redirect_to targets), each once, in that order.
std::vector<Address> final_recipients(const std::vector<Address>& recipients, const policy::MessageResult& result);

}  // namespace mw::frontdoor
