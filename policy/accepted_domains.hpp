// Accepted-domain lookups for callers outside the policy engine (the standalone MTA's local
// delivery), so they share the engine's answer -- exact entry before wildcard, deepest wildcard
// first (matchers.hpp) -- instead of re-implementing it.
#pragma once

#include <string_view>

#include "policy/ruleset.hpp"

namespace mw::policy {

// True when `normalized_domain` is covered by an accepted domain of type authoritative: mail for it
// is delivered by this organization's own mailboxes. An exact internal-relay entry under an
// authoritative wildcard is not authoritative (the exact entry wins, as at RCPT).
bool is_authoritative_domain(const Ruleset& rules, std::string_view normalized_domain);

}  // namespace mw::policy
