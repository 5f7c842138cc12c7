// Quoting admin or client input inside an error text.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

namespace mw {

// Control bytes (and the backslash, so a literal "\x0a" cannot pass for an escaped one) become
// \xNN: a diagnostic or log line stays one printable line whatever the input (a client's HELO, an
// address, a rule name) held.
inline std::string printable_text(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (unsigned char c : text) {
        if (c < 0x20 || c == 0x7f || c == '\\') {
            char hex[5];
            std::snprintf(hex, sizeof hex, "\\x%02x", c);
            out += hex;
        } else {
            out += static_cast<char>(c);
        }
    }
    return out;
}

// A client-chosen value inside a log line's `name=<value>` field: printable (above), and '<', '>'
// and spaces escaped too, so a HELO such as "x> sasl_username=ceo" cannot add a field of its own.
inline std::string log_field_text(std::string_view text) {
    std::string out;
    for (char c : printable_text(text)) {
        if (c == '<') out += "\\x3c";
        else if (c == '>') out += "\\x3e";
        else if (c == ' ') out += "\\x20";
        else out += c;
    }
    return out;
}

// 'text' in single quotes, printable (above).
inline std::string quote_text(std::string_view text) { return "'" + printable_text(text) + "'"; }

}  // namespace mw
