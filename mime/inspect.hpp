// The MIME inspection: parses a whole RFC 5322 message with GMime into policy::MessageContent.
// Hostile input (no boundary, endless nesting, a part bomb, bad encodings) never crashes it and
// never makes it fail open: what is over a limit or malformed is recorded in `malformed`, which
// the rules judge (`mime_malformed`).
#pragma once

#include <string_view>

#include "core/result.hpp"
#include "policy/message_content.hpp"

namespace mw::mime {

// `message` is the header block, the empty line and the body, with CRLF or LF line ends. An Error
// only for an internal failure (GMime could not be set up, memory): the caller answers 451 4.3.0.
Result<policy::MessageContent> inspect(std::string_view message, const policy::MimeLimits& limits);

}  // namespace mw::mime
