// The header block of a message received in standalone mode: split into fields for the engine
// (HeaderFacts), and rewritten with the engine's header edits -- the same edits the milter turns
// into smfi_* calls (milter/header_plan.hpp), applied here to the bytes.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "policy/decision.hpp"
#include "policy/facts.hpp"

namespace mw::smtp::server {

struct ParsedHeaders {
    policy::HeaderFacts facts;    // names as received; values unfolded (CRLF WSP -> WSP), leading WSP trimmed
    std::vector<std::string> raw; // each field's exact bytes, folding and final CRLF included
    std::size_t body_offset = 0;  // where the body starts in the message (after the empty line), or
                                  // the message size when there is no body
};
// `message` has CRLF line endings. A line that is neither a field nor a continuation ends the header
// block (as RFC 5322 readers do: it becomes the first body line).
ParsedHeaders parse_headers(std::string_view message);

// How many hosts the message has passed: its Received: fields (any case), as Postfix counts hops.
std::size_t received_fields(const policy::HeaderFacts& facts);

// Applies the edits (removals by case-insensitive name and 1-based index in arrival order, adds,
// sets, subject prefixes -- with the semantics of milter/header_plan.cpp) and returns the new
// message. Added stamps (X-Mailwarden-*, Authentication-Results, X-MS-Exchange-Organization-*) go on
// top, each above the previous one, as the milter's insert at index 0 does; other added fields are
// appended.
// Values longer than a line are folded at whitespace so no line exceeds 998 octets.
std::string apply_header_edits(std::string_view message, const ParsedHeaders& parsed,
                               const std::vector<policy::HeaderEdit>& edits);

}  // namespace mw::smtp::server
