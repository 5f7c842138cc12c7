// Decoding header text for transport-rule conditions, so that encoding a Subject or an attachment
// name cannot slip it past a rule (Exchange also matches decoded text).
#pragma once

#include <string>
#include <string_view>

namespace mw {

// RFC 2047 encoded-words (=?charset?B|Q?text?=) decoded; white space between two adjacent
// encoded-words dropped (RFC 2047 section 6.2). UTF-8 and US-ASCII are kept as they are,
// ISO-8859-1 is converted to UTF-8, any other charset keeps its bytes (ASCII text still matches).
// A malformed encoded-word stays as written.
std::string decode_encoded_words(std::string_view value);

// RFC 2231 extended parameters (name*=utf-8''evil%2Eexe, continuations name*0*=, name*1=) rewritten
// as plain ones (name="evil.exe"); everything else stays as written.
std::string decode_extended_parameters(std::string_view value);

}  // namespace mw
