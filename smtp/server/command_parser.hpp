// Parsing of SMTP command lines (RFC 5321 section 4.1, with the parameters of the extensions the
// server offers: SIZE, BODY=8BITMIME, SMTPUTF8 (RFC 6531), DSN RET/ENVID/NOTIFY/ORCPT (RFC 3461),
// AUTH= (RFC 4954), BDAT (RFC 3030)). Pure: no state, so a malformed line can never change a
// session's state -- the session answers the returned Reply (500 5.5.1 / 501 5.5.4 / 555 5.5.4).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "policy/address.hpp"
#include "smtp/server/reply.hpp"

namespace mw::smtp::server {

enum class Verb { helo, ehlo, mail, rcpt, data, bdat, rset, noop, quit, vrfy, expn, help, starttls, auth, etrn };

struct Command {
    Verb verb = Verb::noop;
    std::string argument;  // everything after the verb and one space, trailing spaces removed
};

// A command line without its CRLF. Verbs are case-insensitive. Unknown verb: 500 5.5.1
// "Command unrecognized"; a verb that takes no argument but got one (DATA x, RSET x, QUIT x,
// STARTTLS x): 501 5.5.4 "Syntax error in parameters"; HELO/EHLO without a name: 501 5.5.4.
std::variant<Command, Reply> parse_command(std::string_view line);
// The verb a command line names, whether or not its arguments parse; nullopt for an unknown verb.
std::optional<Verb> command_verb(std::string_view line);

enum class Body { seven_bit, eight_bit_mime };

struct MailFrom {
    Address sender;                       // null path for <>
    std::string raw;                      // the address as written between < >, for logs/replies
    std::optional<std::uint64_t> size;    // SIZE=
    Body body = Body::seven_bit;          // BODY=7BIT | 8BITMIME (BINARYMIME: 555, not offered)
    bool smtputf8 = false;                // SMTPUTF8
    std::string ret;                      // RET=FULL|HDRS (upper-cased), DSN
    std::string envid;                    // ENVID=, xtext-decoded
    std::string auth;                     // AUTH=<mailbox> as given (RFC 4954 5.), xtext-decoded
};
struct RcptTo {
    Address recipient;
    std::string raw;
    std::uint8_t notify = 0;              // queue::NotifyFlags
    std::string orcpt;                    // ORCPT=addr-type;xtext, checked and kept encoded (RFC 3461 4.2)
};

// MAIL FROM:<path> [params]: the argument of the MAIL verb ("FROM:<a@b> SIZE=10"). "FROM:" is
// case-insensitive; one optional space after the colon is tolerated (as Postfix does). Errors:
// 501 5.5.4 for syntax (missing FROM:, unbalanced <>, bad address -- with the parser's reason),
// 555 5.5.4 for an unknown or repeated parameter or a bad parameter value (RFC 5321 4.1.1.11).
// Non-ASCII in the address needs SMTPUTF8 in the same command (else 553 5.6.7, RFC 6531).
std::variant<MailFrom, Reply> parse_mail_from(std::string_view argument);
// RCPT TO:<path> [params]. The null path is refused (501 5.1.3). `smtputf8`: the transaction's
// MAIL carried SMTPUTF8 (else non-ASCII addresses get 553 5.6.7). <postmaster> without domain is
// not accepted (mailwarden does not guess a domain: 501 5.1.3).
std::variant<RcptTo, Reply> parse_rcpt_to(std::string_view argument, bool smtputf8);

struct Bdat {
    std::uint64_t size = 0;
    bool last = false;
};
// BDAT <size> [LAST] (RFC 3030): size is decimal digits only (at most 18), LAST case-insensitive.
std::variant<Bdat, Reply> parse_bdat(std::string_view argument);

// ETRN node (RFC 1985 section 5): "example.net" (that domain's mail) or "@example.net" (it and
// its subdomains). "#queue" names are refused (504 5.5.4: our queue has no named queues); a
// missing, second or malformed argument, an address literal or a single-label name is 501 5.5.4
// "Syntax: ETRN domain".
struct EtrnNode {
    std::string domain;  // normalized
    bool subdomains = false;
};
std::variant<EtrnNode, Reply> parse_etrn(std::string_view argument);

}  // namespace mw::smtp::server
