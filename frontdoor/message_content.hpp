// The message content for the engine's content conditions, found the same way by both front doors:
// inspected (mime/inspect.hpp) only when the session's rules read it, so installations without
// such rules never keep or parse a body.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "policy/facts.hpp"
#include "policy/ruleset.hpp"

namespace mw::frontdoor {

// nullopt when `rules` has no content condition; an Error when the inspection itself failed (the
// caller answers 451 4.3.0: policy never fails open).
Result<std::optional<policy::MessageContent>> inspect_content(const policy::Ruleset& rules, std::string_view message);

// The whole message as the milter receives it in pieces: the header fields as the MTA passed them,
// the empty line, then the body chunks.
std::string assemble_message(const policy::HeaderFacts& headers, std::string_view body);

// One log line for a malformed message, "warning: QUEUEID: malformed MIME from CLIENT: why; ...",
// or "" when the structure is sound (README "The mail log").
std::string malformed_line(const std::optional<policy::MessageContent>& content, std::string_view queue_id,
                           std::string_view client);

}  // namespace mw::frontdoor
