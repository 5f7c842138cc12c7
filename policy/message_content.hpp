// What the message's content holds, as the MIME inspection (mime/inspect.hpp) found it: every part
// with its type, disposition, file names and decoded size, the body text, and why the structure is
// malformed if it is. The engine's content conditions (attachment_*, body_*, mime_malformed,
// part_count_over) read only this; the front doors fill it when the rules need it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mw::policy {

// Bounds on what one message may make the inspection do ([mime] in the rules; README "Transport
// rules"). A message beyond any of them is judged as malformed (`mime_malformed = true`).
struct MimeLimits {
    unsigned max_depth = 10;                         // nested multipart / message/rfc822 levels
    std::size_t max_parts = 500;                     // MIME entities in the whole message
    std::uint64_t max_decoded_bytes = 100ull << 20;  // all parts' decoded content together
    std::uint64_t max_body_text = 1ull << 20;        // UTF-8 body text kept for body_contains/_matches
};

struct MimePart {
    std::string section;            // IMAP-style part number: "1", "2", "2.1" (RFC 3501 6.4.5)
    unsigned depth = 0;             // 0: the message's own entity
    std::string content_type;       // "type/subtype", lower case; "text/plain" when absent (RFC 2045)
    std::string disposition;        // "attachment", "inline" (lower case) or empty when absent
    std::string transfer_encoding;  // "base64", "quoted-printable", ... lower case; empty when absent
    // The decoded file names (RFC 2231 continuations and charsets, RFC 2047 words), UTF-8:
    // Content-Disposition filename= first, then Content-Type name= when it differs.
    std::vector<std::string> file_names;
    std::uint64_t decoded_size = 0;  // bytes after the transfer encoding is undone (leaves only)
    bool container = false;          // multipart/* or message/rfc822: its content is other parts
    // A leaf that is not body text: it has a file name, or disposition attachment, or a type other
    // than text/plain and text/html. Attachment conditions look at these.
    bool attachment = false;
};

struct MessageContent {
    std::vector<MimePart> parts;  // every entity in document order (containers too), up to max_parts
    std::size_t part_count = 0;   // entities the message has, also those beyond max_parts
    // The text/plain and text/html (tags stripped) parts that are not attachments, decoded to UTF-8
    // from their charset, joined by a line end, at most max_body_text bytes.
    std::string body_text;
    bool body_text_truncated = false;
    // Why the structure is malformed or over a limit, one reason each; empty when it is neither.
    std::vector<std::string> malformed;
};

}  // namespace mw::policy
