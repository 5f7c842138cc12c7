// An SMTP reply (RFC 5321 4.2): a code, an enhanced status code (RFC 3463) and text, in one type for
// the rules that write replies, the engine that decides them, the server that sends them and the
// clients that read them.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mw {

struct SmtpReply {
    int code = 250;
    std::string status;  // "2.1.0", or "" for replies that carry none (220, 221, 354)
    std::string text;

    std::string str() const;   // "250 2.1.0 Ok", "220 mx.example.com ESMTP"
    std::string wire() const;  // str() and CRLF: one line on the wire
    bool operator==(const SmtpReply&) const = default;
};

// RFC 3463: class "." subject "." detail, subject and detail 1-3 digits, the class `code_class`.
bool valid_enhanced_status(std::string_view status, int code_class);

// A reply as an admin writes one in a rule file: "CODE X.Y.Z text", the code 2xx, 4xx or 5xx (second
// digit 0-5), the enhanced status of the code's class, and printable ASCII text (it goes on the wire
// verbatim, so never CR or LF). nullopt otherwise.
std::optional<SmtpReply> parse_smtp_reply(std::string_view text);

// One line of a reply from a server ("250-PIPELINING", "451 4.3.0 try later", "220 ready"): the
// code, whether more lines follow ('-'), and the enhanced status when the text starts with one of
// the code's class. nullopt when the line does not start with a code 200-599 and ' ', '-' or its end.
struct ServerReplyLine {
    SmtpReply reply;
    bool more = false;
};
std::optional<ServerReplyLine> read_server_reply_line(std::string_view line);

}  // namespace mw
