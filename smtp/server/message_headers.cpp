#include "smtp/server/message_headers.hpp"

#include <algorithm>
#include <map>

namespace mw::smtp::server {

namespace {


// RFC 5322 2.1.1: a line is at most 998 octets before its CRLF.
constexpr std::size_t max_line = 998;

bool is_wsp(char c) { return c == ' ' || c == '\t'; }

std::string ascii_lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

bool is_stamp(std::string_view name) {
    std::string n = ascii_lower(name);
    return n.rfind("x-mailwarden-", 0) == 0 || n == "authentication-results" || n.rfind("x-ms-exchange-organization-", 0) == 0;
}

// RFC 5322 3.6.8: field-name = 1*ftext, printable ASCII except ':'.
bool is_field_name(std::string_view name) {
    if (name.empty()) return false;
    for (char ch : name) {
        auto c = static_cast<unsigned char>(ch);
        if (c < 33 || c > 126) return false;
    }
    return true;
}

// The name of a field line "Name: value" (RFC 5322 4.5.3 obs-optional allows WSP before the
// colon), or "" when the line is not a field.
std::string_view field_name_of(std::string_view line) {
    auto colon = line.find(':');
    if (colon == std::string_view::npos) return {};
    std::string_view name = line.substr(0, colon);
    while (!name.empty() && is_wsp(name.back())) name.remove_suffix(1);
    return is_field_name(name) ? name : std::string_view{};
}

// "Name: value\r\n", folded before whitespace so no line passes 998 octets. CR and LF in the
// value (from a rule) become spaces: an edit must never start a field of its own.
std::string render_field(std::string_view name, std::string_view value) {
    std::string text = std::string(name) + ": ";
    for (char c : value) text += (c == '\r' || c == '\n') ? ' ' : c;
    std::string out;
    std::string_view rest = text;
    while (rest.size() > max_line) {
        // The last whitespace that keeps this line within the limit; the continuation line
        // starts with it (RFC 5322 2.2.3: folding inserts CRLF before WSP).
        std::size_t cut = std::string_view::npos;
        for (std::size_t i = max_line; i > name.size() + 1; --i)
            if (is_wsp(rest[i])) {
                cut = i;
                break;
            }
        if (cut == std::string_view::npos) break;  // no whitespace to fold at: left as it is
        out.append(rest.substr(0, cut));
        out += "\r\n";
        rest.remove_prefix(cut);
        name = {};  // later lines have no name to protect
    }
    out.append(rest);
    out += "\r\n";
    return out;
}

struct Entry {
    std::string key;       // lower-cased name
    std::string value;     // current (unfolded) value
    std::string bytes;     // what is written: the original raw bytes until edited
    int original = 0;      // 1-based index among same-named original fields; 0 for added fields
    bool alive = true;
};

}  // namespace

std::size_t received_fields(const policy::HeaderFacts& facts) {
    return static_cast<std::size_t>(std::count_if(facts.fields.begin(), facts.fields.end(),
                                                  [](const policy::HeaderField& f) { return ascii_lower(f.name) == "received"; }));
}

ParsedHeaders parse_headers(std::string_view message) {
    ParsedHeaders parsed;
    auto& fields = parsed.facts.fields;
    std::size_t pos = 0;
    parsed.body_offset = message.size();
    while (pos < message.size()) {
        std::size_t crlf = message.find("\r\n", pos);
        std::size_t line_end = crlf == std::string_view::npos ? message.size() : crlf;
        std::size_t next = crlf == std::string_view::npos ? message.size() : crlf + 2;
        std::string_view line = message.substr(pos, line_end - pos);
        if (line.empty()) {  // the empty line between header and body
            parsed.body_offset = next;
            break;
        }
        if (is_wsp(line.front())) {
            if (fields.empty()) {  // a continuation of nothing: the body has begun
                parsed.body_offset = pos;
                break;
            }
            // RFC 5322 2.2.3: unfolding removes the CRLF and keeps the whitespace.
            fields.back().value.append(line);
            parsed.raw.back().append(message.substr(pos, next - pos));
        } else {
            std::string_view name = field_name_of(line);
            if (name.empty()) {
                parsed.body_offset = pos;
                break;
            }
            std::string_view value = line.substr(line.find(':') + 1);
            fields.push_back({std::string(name), std::string(value)});
            parsed.raw.emplace_back(message.substr(pos, next - pos));
        }
        pos = next;
    }
    for (auto& f : fields) {
        auto first = f.value.find_first_not_of(" \t");
        f.value.erase(0, first == std::string::npos ? f.value.size() : first);
    }
    return parsed;
}

std::string apply_header_edits(std::string_view message, const ParsedHeaders& parsed,
                               const std::vector<policy::HeaderEdit>& edits) {
    using policy::HeaderEdit;
    std::vector<Entry> entries;
    std::map<std::string, int> seen;
    std::size_t header_size = 0;
    for (std::size_t i = 0; i < parsed.facts.fields.size() && i < parsed.raw.size(); ++i) {
        const auto& f = parsed.facts.fields[i];
        std::string key = ascii_lower(f.name);
        int index = ++seen[key];
        entries.push_back({std::move(key), f.value, parsed.raw[i], index, true});
        header_size += parsed.raw[i].size();
    }
    auto find_original = [&](const std::string& key, int index) -> Entry* {
        for (auto& e : entries)
            if (e.alive && e.original == index && e.key == key) return &e;
        return nullptr;
    };
    auto first_alive = [&](const std::string& key) -> Entry* {
        for (auto& e : entries)
            if (e.alive && e.original > 0 && e.key == key) return &e;
        return nullptr;
    };
    auto append = [&](std::string_view name, std::string_view value) {
        entries.push_back({ascii_lower(name), std::string(value), render_field(name, value), 0, true});
    };

    // As milter/header_plan.cpp: removals name fields by their arrival index, so they refer to the
    // original message whatever order they come in, and all of them happen before anything else.
    for (const auto& e : edits)
        if (e.kind == HeaderEdit::Kind::remove)
            if (Entry* f = find_original(ascii_lower(e.name), e.index)) f->alive = false;
    // `set` keeps the first surviving field of its name and drops the others.
    for (const auto& e : edits) {
        if (e.kind != HeaderEdit::Kind::set) continue;
        std::string key = ascii_lower(e.name);
        if (Entry* keep = first_alive(key))
            for (auto& f : entries)
                if (&f != keep && f.alive && f.original > 0 && f.key == key) f.alive = false;
    }
    std::vector<std::string> on_top;
    for (const auto& e : edits) {
        switch (e.kind) {
            case HeaderEdit::Kind::remove: break;
            case HeaderEdit::Kind::set:
                if (Entry* f = first_alive(ascii_lower(e.name))) {
                    f->value = e.value;
                    f->bytes = render_field(e.name, f->value);
                } else {
                    append(e.name, e.value);
                }
                break;
            case HeaderEdit::Kind::prepend_subject:
                if (Entry* f = first_alive("subject")) {
                    f->value = e.value + f->value;
                    f->bytes = render_field("Subject", f->value);
                } else {
                    append("Subject", e.value);
                }
                break;
            case HeaderEdit::Kind::add:
                // As the milter does (milter/header_plan.cpp): our stamps go on top, each above the
                // previous one (smfi_insheader at index 0); any other field is appended.
                if (is_stamp(e.name)) on_top.insert(on_top.begin(), render_field(e.name, e.value));
                else append(e.name, e.value);
                break;
        }
    }

    std::string out;
    out.reserve(message.size() + 256);
    for (const auto& field : on_top) out += field;
    for (const auto& e : entries) {
        if (!e.alive) continue;
        out += e.bytes;
        // A last field the message ended in without CRLF gets one, as fields follow it now.
        if (e.bytes.size() < 2 || e.bytes.compare(e.bytes.size() - 2, 2, "\r\n") != 0) out += "\r\n";
    }
    std::string_view rest = message.substr(std::min(header_size, message.size()));
    // A body that began without the empty line (its first line was not a field) gets one, so the
    // fields now on top cannot join it (Postfix's cleanup does the same).
    if (!rest.empty() && rest.substr(0, 2) != "\r\n") out += "\r\n";
    out.append(rest);
    return out;
}

}  // namespace mw::smtp::server
