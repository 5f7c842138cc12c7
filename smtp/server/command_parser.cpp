#include "smtp/server/command_parser.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "core/xtext.hpp"
#include "smtp/queue/queue.hpp"
#include "smtp/server/esmtp_params.hpp"

namespace mw::smtp::server {

namespace {

using detail::ascii_iequals;
using detail::EsmtpParam;

struct VerbName {
    std::string_view name;
    Verb verb;
};
constexpr std::array<VerbName, 15> verbs{{
    {"HELO", Verb::helo}, {"EHLO", Verb::ehlo}, {"MAIL", Verb::mail}, {"RCPT", Verb::rcpt},
    {"DATA", Verb::data}, {"BDAT", Verb::bdat}, {"RSET", Verb::rset}, {"NOOP", Verb::noop},
    {"QUIT", Verb::quit}, {"VRFY", Verb::vrfy}, {"EXPN", Verb::expn}, {"HELP", Verb::help},
    {"STARTTLS", Verb::starttls}, {"AUTH", Verb::auth}, {"ETRN", Verb::etrn},
}};

Reply syntax_error(std::string text = "Syntax error in parameters") { return {501, "5.5.4", std::move(text)}; }

// RFC 6531 3.2: an address with non-ASCII needs SMTPUTF8 on MAIL. Postfix's words.
Reply needs_smtputf8() { return {553, "5.6.7", "Must declare SMTPUTF8 to send unicode address"}; }

bool has_non_ascii(std::string_view s) {
    return std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

// "FROM:" / "TO:" prefix, case-insensitive, then at most one space (Postfix tolerates
// "MAIL FROM: <a@b>"). The rest, or nullopt without the prefix.
std::optional<std::string_view> after_prefix(std::string_view argument, std::string_view prefix) {
    if (argument.size() < prefix.size() || !ascii_iequals(argument.substr(0, prefix.size()), prefix)) return std::nullopt;
    argument.remove_prefix(prefix.size());
    if (!argument.empty() && argument.front() == ' ') argument.remove_prefix(1);
    return argument;
}

// The path "<...>" at the start of `text`, and the parameters after it. A '>' inside a quoted
// local part ("<\"a>b\"@example.com>") does not close the path.
struct SplitPath {
    std::string_view raw;     // between < and >
    std::string_view params;  // after the path and its space(s)
};
std::optional<SplitPath> split_path(std::string_view text) {
    if (text.empty() || text.front() != '<') return std::nullopt;
    bool quoted = false;
    for (std::size_t i = 1; i < text.size(); ++i) {
        char c = text[i];
        if (quoted) {
            if (c == '\\') ++i;
            else if (c == '"') quoted = false;
            continue;
        }
        if (c == '"') {
            quoted = true;
        } else if (c == '>') {
            std::string_view rest = text.substr(i + 1);
            // The parameters are separated from the path by a space: "<a@b>SIZE=1" is malformed.
            if (!rest.empty() && rest.front() != ' ') return std::nullopt;
            return SplitPath{text.substr(1, i - 1), rest};
        }
    }
    return std::nullopt;
}

// "FROM:<path> params" or "TO:<path> params": the path as written, parsed, and what follows it.
struct PathArgument {
    std::string raw;
    AddressParse parsed;
    std::string_view params;
};
std::variant<PathArgument, Reply> path_argument(std::string_view argument, std::string_view prefix, const char* usage) {
    auto text = after_prefix(argument, prefix);
    if (!text) return syntax_error(usage);
    auto path = split_path(*text);
    if (!path) return syntax_error(usage);
    std::string raw(path->raw);
    AddressParse parsed = parse_address("<" + raw + ">");
    return PathArgument{std::move(raw), std::move(parsed), path->params};
}

// Applies each ESMTP parameter of `text` to `target` with `apply`; the first refusal is the reply.
template <typename Target, typename Apply>
std::optional<Reply> apply_params(Target& target, std::string_view text, Apply apply) {
    auto params = detail::split_params(text);
    if (auto* reply = std::get_if<Reply>(&params)) return std::move(*reply);
    for (const auto& p : std::get<std::vector<EsmtpParam>>(params))
        if (auto reply = apply(target, p)) return reply;
    return std::nullopt;
}

// Applies one MAIL parameter; a Reply on a bad value or an unknown keyword.
std::optional<Reply> apply_mail_param(MailFrom& mail, const EsmtpParam& p) {
    const std::string value = p.value.value_or("");
    if (p.keyword == "SIZE") {  // RFC 1870
        auto size = detail::parse_size(value);
        if (!size) return detail::bad_value(p);
        mail.size = size;
    } else if (p.keyword == "BODY") {  // RFC 6152; BINARYMIME (RFC 3030) is not offered
        if (ascii_iequals(value, "7BIT")) mail.body = Body::seven_bit;
        else if (ascii_iequals(value, "8BITMIME")) mail.body = Body::eight_bit_mime;
        else return detail::bad_value(p);
    } else if (p.keyword == "SMTPUTF8") {  // RFC 6531 3.4: no value
        if (p.value) return detail::bad_value(p);
        mail.smtputf8 = true;
    } else if (p.keyword == "RET") {  // RFC 3461 4.3
        std::string ret = detail::ascii_upper(value);
        if (ret != "FULL" && ret != "HDRS") return detail::bad_value(p);
        mail.ret = std::move(ret);
    } else if (p.keyword == "ENVID") {  // RFC 3461 4.4: xtext of printable ASCII, at most 100
        auto envid = xtext::decode(value);
        if (!p.value || !envid || envid->size() > 100 ||
            std::any_of(envid->begin(), envid->end(), [](char c) { return c < 0x20 || c > 0x7e; }))
            return detail::bad_value(p);
        mail.envid = std::move(*envid);
    } else if (p.keyword == "AUTH") {  // RFC 4954 5: xtext mailbox or "<>"
        auto auth = xtext::decode(value);
        if (!p.value || !auth) return detail::bad_value(p);
        mail.auth = std::move(*auth);
    } else {
        return detail::unsupported(p.keyword);
    }
    return std::nullopt;
}

std::optional<Reply> apply_rcpt_param(RcptTo& rcpt, const EsmtpParam& p) {
    const std::string value = p.value.value_or("");
    if (p.keyword == "NOTIFY") {  // RFC 3461 4.1
        auto notify = detail::parse_notify(value);
        if (!notify) return detail::bad_value(p);
        // "NEVER" stands alone: with SUCCESS, FAILURE or DELAY it contradicts itself.
        if ((*notify & queue::notify_never) && *notify != queue::notify_never)
            return Reply{501, "5.5.4", "NOTIFY=NEVER cannot be combined with other values"};
        rcpt.notify = *notify;
    } else if (p.keyword == "ORCPT") {  // RFC 3461 4.2
        auto orcpt = detail::parse_orcpt(value);
        if (!orcpt) return detail::bad_value(p);
        rcpt.orcpt = std::move(*orcpt);
    } else {
        return detail::unsupported(p.keyword);
    }
    return std::nullopt;
}

const VerbName* find_verb(std::string_view line) {
    std::string_view name = line.substr(0, line.find(' '));
    auto it = std::find_if(verbs.begin(), verbs.end(), [&](const VerbName& v) { return ascii_iequals(v.name, name); });
    return it == verbs.end() ? nullptr : &*it;
}

}  // namespace

std::optional<Verb> command_verb(std::string_view line) {
    const VerbName* v = find_verb(line);
    return v ? std::optional<Verb>(v->verb) : std::nullopt;
}

std::variant<Command, Reply> parse_command(std::string_view line) {
    auto space = line.find(' ');
    const VerbName* it = find_verb(line);
    if (!it) return Reply{500, "5.5.1", "Command unrecognized"};
    Command command{it->verb, {}};
    if (space != std::string_view::npos) {
        std::string_view argument = line.substr(space + 1);
        auto last = argument.find_last_not_of(" \t");
        command.argument = last == std::string_view::npos ? std::string() : std::string(argument.substr(0, last + 1));
    }
    switch (command.verb) {
        case Verb::data:
        case Verb::rset:
        case Verb::quit:
        case Verb::starttls:
            if (!command.argument.empty()) return syntax_error();
            break;
        case Verb::helo:
        case Verb::ehlo:
            if (command.argument.empty())
                return syntax_error(std::string("Syntax: ") + std::string(it->name) + " hostname");
            break;
        case Verb::mail:
        case Verb::rcpt:
        case Verb::bdat:
        case Verb::auth:
        case Verb::vrfy:
        case Verb::expn:
            if (command.argument.empty()) return syntax_error();
            break;
        case Verb::etrn:  // parse_etrn judges the argument, after the session's state checks
            break;
        case Verb::noop:  // RFC 5321 4.1.1.9 and 4.1.1.8: an argument is allowed and ignored
        case Verb::help:
            break;
    }
    return command;
}

namespace {

// MAIL FROM and RCPT TO share one grammar, PREFIX<path> [params]: `take` judges the parsed
// address and stores it, `apply` takes each parameter, and an address beyond ASCII needs SMTPUTF8
// (given on MAIL, or for RCPT by the transaction's MAIL).
template <typename Command, typename Take, typename Apply, typename Utf8>
std::variant<Command, Reply> parse_path_command(std::string_view argument, std::string_view prefix, const char* usage,
                                                Take take, Apply apply, Utf8 smtputf8) {
    auto arg = path_argument(argument, prefix, usage);
    if (auto* reply = std::get_if<Reply>(&arg)) return std::move(*reply);
    auto& [raw, parsed, params_text] = std::get<PathArgument>(arg);
    Command command;
    command.raw = std::move(raw);
    if (auto reply = take(command, parsed)) return std::move(*reply);
    if (auto reply = apply_params(command, params_text, apply)) return std::move(*reply);
    if (!smtputf8(command) && has_non_ascii(command.raw)) return needs_smtputf8();
    return command;
}

}  // namespace

std::variant<MailFrom, Reply> parse_mail_from(std::string_view argument) {
    auto take = [](MailFrom& mail, AddressParse& parsed) -> std::optional<Reply> {
        if (!parsed.address) return Reply{501, "5.1.7", "Bad sender address syntax (" + parsed.error + ")"};
        mail.sender = std::move(*parsed.address);
        return std::nullopt;
    };
    return parse_path_command<MailFrom>(argument, "FROM:", "Syntax: MAIL FROM:<address>", take, apply_mail_param,
                                        [](const MailFrom& mail) { return mail.smtputf8; });
}

std::variant<RcptTo, Reply> parse_rcpt_to(std::string_view argument, bool smtputf8) {
    auto take = [](RcptTo& rcpt, AddressParse& parsed) -> std::optional<Reply> {
        if (!parsed.address) return Reply{501, "5.1.3", "Bad recipient address syntax (" + parsed.error + ")"};
        // The null path is a sender only (RFC 5321 4.1.1.3); "<postmaster>" without a domain fails
        // to parse above: mailwarden does not guess which domain's postmaster is meant.
        if (parsed.address->null) return Reply{501, "5.1.3", "Bad recipient address syntax"};
        rcpt.recipient = std::move(*parsed.address);
        return std::nullopt;
    };
    return parse_path_command<RcptTo>(argument, "TO:", "Syntax: RCPT TO:<address>", take, apply_rcpt_param,
                                      [smtputf8](const RcptTo&) { return smtputf8; });
}

std::variant<Bdat, Reply> parse_bdat(std::string_view argument) {
    // RFC 3030 2: bdat-cmd = "BDAT" SP chunk-size [ SP end-marker ]
    const Reply syntax = syntax_error("Syntax: BDAT count [LAST]");
    auto space = argument.find(' ');
    std::string_view size = argument.substr(0, space);
    if (size.empty() || size.size() > 18 || !std::all_of(size.begin(), size.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return syntax;
    Bdat bdat;
    for (char c : size) bdat.size = bdat.size * 10 + static_cast<std::uint64_t>(c - '0');
    if (space != std::string_view::npos) {
        if (!ascii_iequals(argument.substr(space + 1), "LAST")) return syntax;
        bdat.last = true;
    }
    return bdat;
}

}  // namespace mw::smtp::server

namespace mw::smtp::server {

std::variant<EtrnNode, Reply> parse_etrn(std::string_view argument) {
    const Reply syntax{501, "5.5.4", "Syntax: ETRN domain"};
    if (argument.empty() || argument.find(' ') != std::string_view::npos) return syntax;
    EtrnNode node;
    if (argument.front() == '#')
        return Reply{504, "5.5.4", "ETRN #queue names are not supported: ask for a domain or @domain"};
    if (argument.front() == '@') {
        node.subdomains = true;
        argument.remove_prefix(1);
    }
    // A domain, no address literal: our queue is kept by recipient domain, and a literal names a host.
    if (argument.empty() || argument.front() == '[' || has_non_ascii(argument)) return syntax;
    auto domain = normalize_domain(argument);
    if (!domain || domain->empty() || domain->find('.') == std::string::npos) return syntax;
    node.domain = std::move(*domain);
    return node;
}

}  // namespace mw::smtp::server
