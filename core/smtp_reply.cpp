#include "core/smtp_reply.hpp"

namespace mw {

namespace {

bool digit(char c) { return c >= '0' && c <= '9'; }

// The enhanced status at the start of `s` (up to the first space), if it is one of `code_class`.
std::size_t status_length(std::string_view s, int code_class) {
    std::size_t end = s.find(' ');
    std::string_view candidate = s.substr(0, end);
    return valid_enhanced_status(candidate, code_class) ? candidate.size() : 0;
}

}  // namespace

std::string SmtpReply::str() const {
    std::string out = std::to_string(code);
    out += ' ';
    if (!status.empty()) {
        out += status;
        out += ' ';
    }
    out += text;
    return out;
}

std::string SmtpReply::wire() const { return str() + "\r\n"; }

bool valid_enhanced_status(std::string_view status, int code_class) {
    if (status.size() < 5 || status[0] != static_cast<char>('0' + code_class) || status[1] != '.') return false;
    std::size_t i = 1;
    for (int part = 0; part < 2; ++part) {
        if (i >= status.size() || status[i] != '.') return false;
        std::size_t start = ++i;
        while (i < status.size() && digit(status[i])) ++i;
        if (i == start || i - start > 3) return false;
    }
    return i == status.size();
}

std::optional<SmtpReply> parse_smtp_reply(std::string_view s) {
    // CODE: RFC 5321 4.2 (first digit 2-5, second 0-5); rules answer only 2xx, 4xx and 5xx.
    if (s.size() < 4 || !digit(s[0]) || !digit(s[1]) || !digit(s[2]) || s[3] != ' ') return std::nullopt;
    if ((s[0] != '2' && s[0] != '4' && s[0] != '5') || s[1] > '5') return std::nullopt;
    SmtpReply r;
    r.code = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
    s.remove_prefix(4);
    std::size_t n = status_length(s, r.code / 100);
    if (n == 0 || n >= s.size()) return std::nullopt;
    r.status = std::string(s.substr(0, n));
    r.text = std::string(s.substr(n + 1));
    if (r.text.empty()) return std::nullopt;
    for (char c : r.text)
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) return std::nullopt;
    return r;
}

std::optional<ServerReplyLine> read_server_reply_line(std::string_view line) {
    if (line.size() < 3 || !digit(line[0]) || !digit(line[1]) || !digit(line[2])) return std::nullopt;
    ServerReplyLine out;
    out.reply.code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
    if (out.reply.code < 200 || out.reply.code > 599) return std::nullopt;
    if (line.size() > 3 && line[3] != ' ' && line[3] != '-') return std::nullopt;
    out.more = line.size() > 3 && line[3] == '-';
    std::string_view text = line.size() > 4 ? line.substr(4) : std::string_view();
    if (std::size_t n = status_length(text, out.reply.code / 100); n > 0) {
        out.reply.status = std::string(text.substr(0, n));
        text.remove_prefix(n < text.size() ? n + 1 : n);
    }
    out.reply.text = std::string(text);
    return out;
}

}  // namespace mw
