#define BOOST_TEST_MODULE smtp command parser
#include <boost/test/unit_test.hpp>

#include "smtp/queue/queue.hpp"
#include "smtp/server/command_parser.hpp"

using namespace mw::smtp::server;
namespace queue = mw::smtp::queue;

namespace mw {
std::ostream& operator<<(std::ostream& os, const SmtpReply& r) { return os << r.wire(); }
}  // namespace mw

namespace {

template <typename T>
Reply reply_of(const std::variant<T, Reply>& v) {
    BOOST_REQUIRE(std::holds_alternative<Reply>(v));
    return std::get<Reply>(v);
}

template <typename T>
const T& value_of(const std::variant<T, Reply>& v) {
    if (auto* r = std::get_if<Reply>(&v)) BOOST_FAIL("unexpected reply " << r->wire());
    return std::get<T>(v);
}

int code_of_mail(std::string_view argument) {
    auto v = parse_mail_from(argument);
    return std::holds_alternative<Reply>(v) ? std::get<Reply>(v).code : 250;
}

int code_of_rcpt(std::string_view argument, bool smtputf8 = false) {
    auto v = parse_rcpt_to(argument, smtputf8);
    return std::holds_alternative<Reply>(v) ? std::get<Reply>(v).code : 250;
}

}  // namespace

BOOST_AUTO_TEST_CASE(verbs_are_case_insensitive) {
    auto c = value_of(parse_command("mAiL FROM:<a@b.example>  "));
    BOOST_TEST((c.verb == Verb::mail));
    BOOST_TEST(c.argument == "FROM:<a@b.example>");
    BOOST_TEST((value_of(parse_command("starttls")).verb == Verb::starttls));
    BOOST_TEST((value_of(parse_command("EHLO client.example")).argument == "client.example"));
    BOOST_TEST((value_of(parse_command("NOOP anything")).verb == Verb::noop));
    BOOST_TEST((value_of(parse_command("HELP")).verb == Verb::help));
    BOOST_TEST((value_of(parse_command("AUTH PLAIN dGVzdA==")).argument == "PLAIN dGVzdA=="));
}

BOOST_AUTO_TEST_CASE(unknown_verbs_and_bad_arguments) {
    BOOST_TEST(reply_of(parse_command("FOO bar")) == (Reply{500, "5.5.1", "Command unrecognized"}));
    BOOST_TEST(reply_of(parse_command("")).code == 500);
    BOOST_TEST(reply_of(parse_command("MAILFROM:<a@b>")).code == 500);
    BOOST_TEST(reply_of(parse_command("DATA x")) == (Reply{501, "5.5.4", "Syntax error in parameters"}));
    for (auto line : {"RSET x", "QUIT now", "STARTTLS x", "EHLO", "HELO ", "MAIL", "RCPT", "BDAT", "AUTH"}) {
        auto r = reply_of(parse_command(line));
        BOOST_TEST(r.code == 501, line);
        BOOST_TEST(r.status == "5.5.4", line);
    }
    BOOST_TEST((value_of(parse_command("DATA  ")).verb == Verb::data));  // trailing spaces only
}

// The verb of a line whose arguments do not parse still counts for that command (the
// "disconnect from" statistics): HELO without a name is a failed HELO, not an unknown command.
BOOST_AUTO_TEST_CASE(the_verb_of_a_line_whatever_its_arguments) {
    BOOST_TEST((command_verb("HELO") == Verb::helo));
    BOOST_TEST((command_verb("data x") == Verb::data));
    BOOST_TEST((command_verb("MAIL FROM:<a@b> FOO=BAR") == Verb::mail));
    BOOST_TEST((command_verb("Auth") == Verb::auth));
    BOOST_TEST(!command_verb("FOO bar").has_value());
    BOOST_TEST(!command_verb("MAILFROM:<a@b>").has_value());
    BOOST_TEST(!command_verb("").has_value());
}

BOOST_AUTO_TEST_CASE(mail_from_basic) {
    auto m = value_of(parse_mail_from("FROM:<Alice@Example.COM>"));
    BOOST_TEST(m.sender.str() == "alice@example.com");
    BOOST_TEST(m.raw == "Alice@Example.COM");
    BOOST_TEST(!m.size);
    BOOST_TEST((m.body == Body::seven_bit));
    auto spaced = value_of(parse_mail_from("from: <a@b.example>"));
    BOOST_TEST(spaced.sender.str() == "a@b.example");
    auto null = value_of(parse_mail_from("FROM:<>"));
    BOOST_TEST(null.sender.null);
    BOOST_TEST(null.raw == "");
    auto routed = value_of(parse_mail_from("FROM:<@relay.example:u@d.example>"));
    BOOST_TEST(routed.sender.str() == "u@d.example");
    BOOST_TEST(routed.raw == "@relay.example:u@d.example");
    auto quoted = value_of(parse_mail_from("FROM:<\"a> b\"@d.example> SIZE=5"));
    BOOST_TEST(quoted.raw == "\"a> b\"@d.example");
    BOOST_TEST(*quoted.size == 5u);
}

BOOST_AUTO_TEST_CASE(mail_from_syntax_errors) {
    BOOST_TEST(reply_of(parse_mail_from("TO:<a@b.example>")).code == 501);
    BOOST_TEST(reply_of(parse_mail_from("FROM:a@b.example")).code == 501);
    BOOST_TEST(reply_of(parse_mail_from("FROM:<a@b.example")).code == 501);
    BOOST_TEST(reply_of(parse_mail_from("FROM:  <a@b.example>")).code == 501);
    BOOST_TEST(reply_of(parse_mail_from("FROM:<a@b.example>SIZE=1")).code == 501);
    auto bad = reply_of(parse_mail_from("FROM:<a@>"));
    BOOST_TEST(bad.code == 501);
    BOOST_TEST(bad.status == "5.1.7");
    BOOST_TEST(bad.text.rfind("Bad sender address syntax", 0) == 0);
    BOOST_TEST(reply_of(parse_mail_from("FROM:<nodomain>")).status == "5.1.7");
}

BOOST_AUTO_TEST_CASE(mail_from_parameters) {
    auto m = value_of(parse_mail_from("FROM:<a@b.example> size=1000 Body=8bitmime SMTPUTF8 RET=hdrs ENVID=QQ+2B1 AUTH=<>"));
    BOOST_TEST(*m.size == 1000u);
    BOOST_TEST((m.body == Body::eight_bit_mime));
    BOOST_TEST(m.smtputf8);
    BOOST_TEST(m.ret == "HDRS");
    BOOST_TEST(m.envid == "QQ+1");
    BOOST_TEST(m.auth == "<>");
    auto auth = value_of(parse_mail_from("FROM:<a@b.example> AUTH=joe+2Bx@b.example"));
    BOOST_TEST(auth.auth == "joe+x@b.example");
    // SIZE beyond 2^64 saturates: it is then simply too large (552 from the session).
    auto huge = value_of(parse_mail_from("FROM:<a@b.example> SIZE=999999999999999999999999"));
    BOOST_TEST(*huge.size == UINT64_MAX);
}

BOOST_AUTO_TEST_CASE(mail_from_bad_parameters) {
    BOOST_TEST(reply_of(parse_mail_from("FROM:<a@b.example> FOO=1")) == (Reply{555, "5.5.4", "Unsupported option: FOO"}));
    for (auto arg : {"FROM:<a@b.example> SIZE=12a", "FROM:<a@b.example> SIZE",
                     "FROM:<a@b.example> SIZE=-1", "FROM:<a@b.example> BODY=BINARYMIME", "FROM:<a@b.example> BODY",
                     "FROM:<a@b.example> SMTPUTF8=yes", "FROM:<a@b.example> RET=ALL",
                     "FROM:<a@b.example> ENVID=a+2", "FROM:<a@b.example> ENVID=a+0Ab",
                     "FROM:<a@b.example> SIZE=1 size=2", "FROM:<a@b.example> NOTIFY=NEVER",
                     "FROM:<a@b.example> ORCPT=rfc822;a@b.example"}) {
        auto r = reply_of(parse_mail_from(arg));
        BOOST_TEST(r.code == 555, arg);
        BOOST_TEST(r.status == "5.5.4", arg);
    }
    BOOST_TEST(code_of_mail("FROM:<a@b.example> =1") == 501);
    BOOST_TEST(code_of_mail("FROM:<a@b.example> SIZE=") == 501);  // esmtp-value is 1*char
    BOOST_TEST(code_of_mail("FROM:<a@b.example> SIZE=1=2") == 501);
    BOOST_TEST(code_of_mail("FROM:<a@b.example>   SIZE=1  ") == 250);
}

BOOST_AUTO_TEST_CASE(non_ascii_needs_smtputf8) {
    BOOST_TEST(reply_of(parse_mail_from("FROM:<j\xc3\xb6rg@b\xc3\xbc\x63her.example>")) ==
               (Reply{553, "5.6.7", "Must declare SMTPUTF8 to send unicode address"}));
    auto m = value_of(parse_mail_from("FROM:<j\xc3\xb6rg@b\xc3\xbc\x63her.example> SMTPUTF8"));
    BOOST_TEST(m.sender.domain == "xn--bcher-kva.example");
    BOOST_TEST(code_of_rcpt("TO:<j\xc3\xb6rg@b.example>") == 553);
    BOOST_TEST(code_of_rcpt("TO:<j\xc3\xb6rg@b.example>", true) == 250);
}

BOOST_AUTO_TEST_CASE(rcpt_to) {
    auto r = value_of(parse_rcpt_to("To:<Bob@Example.com> NOTIFY=success,Delay ORCPT=rfc822;bob+2B1@example.com", false));
    BOOST_TEST(r.recipient.str() == "bob@example.com");
    BOOST_TEST(r.raw == "Bob@Example.com");
    BOOST_TEST(r.notify == (queue::notify_success | queue::notify_delay));
    BOOST_TEST(r.orcpt == "rfc822;bob+2B1@example.com");  // kept encoded: the DSN decodes it once
    BOOST_TEST(value_of(parse_rcpt_to("TO:<b@example.com> NOTIFY=NEVER", false)).notify == queue::notify_never);
    BOOST_TEST(value_of(parse_rcpt_to("TO:<b@example.com>", false)).notify == queue::notify_default);
}

BOOST_AUTO_TEST_CASE(rcpt_to_errors) {
    BOOST_TEST(reply_of(parse_rcpt_to("TO:<>", false)) == (Reply{501, "5.1.3", "Bad recipient address syntax"}));
    BOOST_TEST(reply_of(parse_rcpt_to("TO:<postmaster>", false)).status == "5.1.3");
    BOOST_TEST(reply_of(parse_rcpt_to("TO:<a@@b>", false)).code == 501);
    BOOST_TEST(reply_of(parse_rcpt_to("FROM:<a@b.example>", false)).code == 501);
    auto never = reply_of(parse_rcpt_to("TO:<b@example.com> NOTIFY=NEVER,SUCCESS", false));
    BOOST_TEST(never.code == 501);
    BOOST_TEST(never.status == "5.5.4");
    BOOST_TEST(code_of_rcpt("TO:<b@example.com> NOTIFY=SUCCESS,never") == 501);
    BOOST_TEST(code_of_rcpt("TO:<b@example.com> NOTIFY=SOMETIMES") == 555);
    BOOST_TEST(code_of_rcpt("TO:<b@example.com> NOTIFY=SUCCESS,") == 555);
    BOOST_TEST(code_of_rcpt("TO:<b@example.com> ORCPT=bob@example.com") == 555);
    BOOST_TEST(code_of_rcpt("TO:<b@example.com> ORCPT=rfc822;") == 555);
    // Decoded into a report's Original-Recipient: line, CR LF would add header fields.
    BOOST_TEST(code_of_rcpt("TO:<b@example.com> ORCPT=rfc822;a@b.example+0D+0ABcc:+20x@evil.example") == 555);
    BOOST_TEST(code_of_rcpt("TO:<b@example.com> SIZE=10") == 555);
    BOOST_TEST(code_of_rcpt("TO:<b@example.com> NOTIFY=DELAY NOTIFY=DELAY") == 555);
}

BOOST_AUTO_TEST_CASE(bdat) {
    auto b = value_of(parse_bdat("1000"));
    BOOST_TEST(b.size == 1000u);
    BOOST_TEST(!b.last);
    auto last = value_of(parse_bdat("0 last"));
    BOOST_TEST(last.size == 0u);
    BOOST_TEST(last.last);
    BOOST_TEST(value_of(parse_bdat("999999999999999999")).size == 999999999999999999u);
    for (auto arg : {"", "x", "-1", "+5", "1000000000000000000", "10 FIRST", "10  LAST", "10 LAST x", "0x10"})
        BOOST_TEST(reply_of(parse_bdat(arg)).code == 501, arg);
}


// ETRN (RFC 1985): a domain or @domain; #queue names are not ours; anything else is a syntax error.
BOOST_AUTO_TEST_CASE(etrn_nodes) {
    auto command = value_of(parse_command("etrn Example.NET"));
    BOOST_TEST((command.verb == Verb::etrn));
    const EtrnNode plain = value_of(parse_etrn(command.argument));  // a copy: the variant is a temporary
    BOOST_TEST(plain.domain == "example.net");
    BOOST_TEST(!plain.subdomains);
    const EtrnNode tree = value_of(parse_etrn("@partner.example."));
    BOOST_TEST(tree.domain == "partner.example");
    BOOST_TEST(tree.subdomains);
    BOOST_TEST(reply_of(parse_etrn("#queue1")).wire() == "504 5.5.4 ETRN #queue names are not supported: ask for a domain or @domain\r\n");
    for (std::string_view bad : {"", "a.example b.example", "@", "[192.0.2.1]", "localhost", "bad..example", "-x.example"})
        BOOST_TEST(reply_of(parse_etrn(bad)).wire() == "501 5.5.4 Syntax: ETRN domain\r\n", bad);
    // The verb alone parses: the session answers its state errors (503) before the syntax.
    BOOST_TEST(value_of(parse_command("ETRN")).argument.empty());
}
