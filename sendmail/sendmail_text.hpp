// Text helpers for the Sendmail export: dnl comments that cannot break out of their line, and values
// from the rules written so that m4 copies them into sendmail.cf as they are.
//
// m4 rescans the text of DAEMON_OPTIONS, INPUT_MAIL_FILTER and the conf* options once more when
// sendmail.cf is written, so a name or path containing a macro name ("dnl", "divert", "MAILER" ...)
// would be expanded, silently truncating the configuration. Such values get a second pair of m4
// quotes (`Name=`internet'', ``/etc/mailwarden/ca.pem''), as cf/m4/cfhead.m4 itself quotes its
// confMILTER_MACROS_* defaults.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "core/comment_text.hpp"
#include "core/export_error.hpp"

namespace mw::sendmail::sendmail_text {

using comment_text::printable;

// A paragraph as "dnl " lines: m4 discards them, they are notes for the admin.
inline std::string comment(std::string_view paragraph, std::size_t width = 100) {
    return comment_text::wrapped(paragraph, "dnl ", width);
}

// Notes about named things, each written only when it names something: BEFORE, the names joined
// with ", ", then AFTER.
struct NamedNote {
    const std::vector<std::string>* names;
    std::string before;
    std::string after;
};
inline std::string named_notes(std::initializer_list<NamedNote> notes) {
    std::string out;
    for (const auto& n : notes)
        if (!n.names->empty()) out += comment(n.before + comment_text::join(*n.names) + n.after);
    return out;
}

// One line as is (a table line the admin copies elsewhere), as a dnl comment.
inline std::string line(std::string_view text) { return "dnl   " + printable(text) + "\n"; }

// A value in one more pair of m4 quotes.
inline std::string m4_quoted(std::string_view value) { return "`" + std::string(value) + "'"; }

// A Sendmail daemon name (DaemonPortOptions Name=, what Sendmail sends as {daemon_name}): one token
// of ASCII letters, digits, '.', '_', '+', '-'. Sendmail splits DaemonPortOptions at ',' and '=',
// and quotes, '$' and '#' mean something to m4 or to sendmail.cf.
inline bool is_daemon_name(std::string_view name) {
    if (name.empty()) return false;
    for (char c : name) {
        auto u = static_cast<unsigned char>(c);
        bool ok = (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || c == '.' ||
                  c == '_' || c == '+' || c == '-';
        if (!ok) return false;
    }
    return true;
}

// A file or socket path for sendmail.cf. Throws ExportError, naming `what`, when it holds what
// m4 or Sendmail would read differently: whitespace or control characters, m4's quotes, '"',
// ',' (separates the milter's equates), ';', '$' (sendmail.cf macros), '#', parentheses, '\'.
inline std::string checked_path(std::string_view path, std::string_view what) {
    for (char c : path) {
        auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u == 0x7f || std::string_view("`'\",;$#()\\").find(c) != std::string_view::npos)
            throw ExportError(std::string(what) + " '" + printable(path) +
                              "' cannot be written to sendmail.mc (whitespace, a quote, ',', ';', '$', '#', "
                              "a parenthesis or a backslash)");
    }
    return std::string(path);
}

}  // namespace mw::sendmail::sendmail_text
