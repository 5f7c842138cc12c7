#include "support/swaks.hpp"

#include <algorithm>
#include <cctype>
#include <regex>
#include <sstream>

#include "support/process.hpp"

namespace mw::itest {

namespace {

// swaks prefixes every transcript line with a three-character hint and a space: " ->", " ~>" (TLS)
// for what it sent, "**>", "*~>" for what it sent unexpectedly; "<- ", "<~ " for expected server
// lines, "<**", "<~*" for unexpected ones (errors, which swaks writes to stderr); "===" and "***" are
// its own notes.
struct Line {
    enum Kind { Client, Server, Other } kind;
    std::string text;
};

std::vector<Line> parse(const std::string& transcript) {
    std::vector<Line> lines;
    std::istringstream in(transcript);
    std::string raw;
    while (std::getline(in, raw)) {
        if (!raw.empty() && raw.back() == '\r') raw.pop_back();
        std::string hint = raw.substr(0, 3), text = raw.size() > 4 ? raw.substr(4) : std::string();
        Line::Kind kind = Line::Other;
        if (hint == " ->" || hint == " ~>" || hint == "**>" || hint == "*~>") kind = Line::Client;
        if (hint == "<- " || hint == "<~ " || hint == "<**" || hint == "<~*") kind = Line::Server;
        lines.push_back({kind, text});
    }
    return lines;
}

bool starts_with_nocase(std::string_view text, std::string_view prefix) {
    return text.size() >= prefix.size() &&
           std::equal(prefix.begin(), prefix.end(), text.begin(), [](char a, char b) {
               return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
           });
}

// The reply following client line `index`: server lines up to the one whose code is followed by a
// space (the last line of a multi-line reply).
std::string reply_after(const std::vector<Line>& lines, std::size_t index) {
    std::string reply;
    for (std::size_t i = index + 1; i < lines.size(); ++i) {
        if (lines[i].kind == Line::Client) break;
        if (lines[i].kind != Line::Server) continue;
        if (!reply.empty()) reply += '\n';
        reply += lines[i].text;
        if (lines[i].text.size() <= 3 || lines[i].text[3] != '-') break;
    }
    return reply;
}

std::string write_temp(const mw::test::TempDir& dir, const std::string& name, const std::string& text) {
    return "@" + dir.write(name, text).string();  // "@FILE": swaks reads the text from FILE
}

}  // namespace

std::string SwaksResult::reply_to(std::string_view command) const {
    auto lines = parse(transcript);
    for (std::size_t i = 0; i < lines.size(); ++i)
        if (lines[i].kind == Line::Client && starts_with_nocase(lines[i].text, command)) return reply_after(lines, i);
    return {};
}

std::string SwaksResult::rcpt_reply(std::string_view address) const {
    return reply_to("RCPT TO:<" + std::string(address) + ">");
}

std::string SwaksResult::end_of_data_reply() const {
    auto lines = parse(transcript);
    for (std::size_t i = lines.size(); i-- > 0;)
        if (lines[i].kind == Line::Client && lines[i].text == ".") return reply_after(lines, i);
    return {};
}

std::string SwaksResult::auth_reply() const {
    auto lines = parse(transcript);
    for (std::size_t i = 0; i < lines.size(); ++i) {
        if (lines[i].kind != Line::Client || !starts_with_nocase(lines[i].text, "AUTH ")) continue;
        // AUTH LOGIN and friends answer 334 challenges until the final reply.
        for (std::size_t j = i; j < lines.size(); ++j) {
            if (lines[j].kind != Line::Client) continue;
            std::string reply = reply_after(lines, j);
            if (reply.rfind("334", 0) != 0) return reply;
        }
    }
    return {};
}

std::string SwaksResult::queue_id() const {
    static const std::regex queued("queued as ([0-9A-Za-z]+)");
    const std::string reply = end_of_data_reply();
    std::smatch m;
    return std::regex_search(reply, m, queued) ? m[1].str() : std::string();
}

SwaksResult swaks(const SwaksOptions& o) {
    // Bodies and raw data go through files: swaks treats a --body argument naming an existing file
    // as that file, and one starting with "@" as a file name.
    mw::test::TempDir work("swaks");
    std::vector<std::string> argv{"swaks", "--server", o.server, "--port", std::to_string(o.port), "--from", o.from,
                                  "--helo", o.helo, "--timeout", std::to_string(o.timeout.count()) + "s"};
    if (!o.to.empty()) {
        std::string to;
        for (const auto& t : o.to) to += (to.empty() ? "" : ",") + t;
        argv.insert(argv.end(), {"--to", to});
    }
    if (!o.xclient_addr.empty()) argv.insert(argv.end(), {"--xclient-addr", o.xclient_addr});
    for (const auto& x : o.xclient) argv.insert(argv.end(), {"--xclient", x});
    if (o.tls) argv.push_back("--tls");
    if (!o.tls_cert.empty()) argv.insert(argv.end(), {"--tls-cert", o.tls_cert.string()});
    if (!o.tls_key.empty()) argv.insert(argv.end(), {"--tls-key", o.tls_key.string()});
    if (!o.auth.empty())
        argv.insert(argv.end(), {"--auth", o.auth, "--auth-user", o.auth_user, "--auth-password", o.auth_password});
    for (const auto& h : o.headers) argv.insert(argv.end(), {"--header", h});
    for (const auto& h : o.add_headers) argv.insert(argv.end(), {"--add-header", h});
    if (o.data) argv.insert(argv.end(), {"--data", write_temp(work, "data", *o.data)});
    if (o.body) argv.insert(argv.end(), {"--body", write_temp(work, "body", *o.body)});
    if (!o.quit_after.empty()) argv.insert(argv.end(), {"--quit-after", o.quit_after});
    argv.insert(argv.end(), o.extra_args.begin(), o.extra_args.end());

    // Merged streams: swaks writes unexpected replies to stderr and the rest to stdout.
    RunResult r = run_capture(argv, {}, std::chrono::seconds(o.timeout * 4 + std::chrono::seconds(10)), true);
    return SwaksResult{r.status, r.out};
}

}  // namespace mw::itest
