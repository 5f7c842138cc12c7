// A leaf part's content as the inspection needs it: its size once the transfer encoding is undone,
// its decoded bytes (for body text), those bytes in UTF-8, and whether base64 content holds
// characters outside the alphabet. `content` is the part's data wrapper, lent by its GMimePart.
#pragma once

#include <gmime/gmime.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace mw::mime {

// The byte count of the decoded content, written through GMime's decoder into a null stream: the
// content itself is not kept.
std::uint64_t decoded_size(GMimeDataWrapper* content);

// The decoded content itself.
std::string decoded_bytes(GMimeDataWrapper* content);

// `bytes` converted from `charset` (a MIME charset name, RFC 2046 section 4.1.2; null when the part
// names none) to UTF-8 by GMime's charset filter. A charset iconv does not know, or none, passes
// the bytes through; either way every ill-formed sequence left becomes U+FFFD, so the result is
// always valid UTF-8.
std::string to_utf8(std::string_view bytes, const char* charset);

// Whether the encoded (raw) content is only the base64 alphabet, '=' and white space (RFC 2045
// section 6.8 lets decoders ignore anything else, which is how content hides from a scanner that
// decodes differently).
bool base64_alphabet_only(GMimeDataWrapper* content);

}  // namespace mw::mime
