// The patterns of transport-rule conditions, registered in the ruleset's per-field PatternSets
// (policy/pattern_set.hpp) as they load, the content conditions (attachments, body, MIME
// structure), and the [mime] table with the inspection's limits (README "Transport rules").
#include <algorithm>
#include <cctype>

#include "policy/loader_content.hpp"
#include "policy/matchers.hpp"

namespace mw::policy::loader {

Regex as_regex(const toml::node& node, const Name& name) {
    std::string pattern = as_string(node, name);
    std::string error;
    std::size_t offset = 0;
    auto re = Regex::compile(pattern, error, offset);
    if (!re) fail(node, "invalid regex '" + pattern + "': " + error + " at offset " + std::to_string(offset));
    return std::move(*re);
}

RulePattern as_rule_pattern(const toml::node& node, const Name& name, PatternSet& set) {
    Regex re = as_regex(node, name);
    PatternId id = set.add_regex(re);
    return {std::move(re), id};
}

std::vector<RulePattern> as_rule_patterns(Context& ctx, const toml::node& node, const Name& name, PatternSet& set) {
    std::vector<RulePattern> out;
    for (const auto& entry : as_string_or_array(node, name)) {
        ctx.attempt([&] { out.push_back(as_rule_pattern(*entry.second, name, set)); });
    }
    return out;
}

std::vector<RuleText> as_rule_texts(const toml::node& node, const Name& name, PatternSet& set) {
    std::vector<RuleText> out;
    for (auto& [s, e] : as_string_or_array(node, name)) {
        if (s.empty()) fail(*e, "'" + name.key + "' entries must not be empty: they would match every message");
        PatternId id = set.add_text(s);
        out.push_back({std::move(s), id});
    }
    return out;
}

std::size_t header_patterns(Context& ctx, std::string_view header) {
    ContentPatterns& p = ctx.rules.patterns;
    auto [it, added] = p.header_index.try_emplace(lower(header), p.headers.size());
    if (added) p.headers.emplace_back();
    return it->second;
}

namespace {

// "exe", ".EXE" -> "exe". Only what follows the last dot of a name is an extension, so an entry
// with a dot inside ("tar.gz") could never match: refused rather than silently dead.
std::string as_extension(const toml::node& node, const std::string& text) {
    std::string e = lower(text);
    if (!e.empty() && e.front() == '.') e.erase(0, 1);
    if (e.empty()) fail(node, "'attachment_extension' entries must not be empty");
    if (e.find('.') != std::string::npos) {
        fail(node, "'attachment_extension' entry '" + text + "': an extension is what follows the last dot ('" +
                       e.substr(e.rfind('.') + 1) + "')");
    }
    for (unsigned char c : e) {
        if (c < 0x21 || c == 0x7f || c == '/' || c == '\\')
            fail(node, "'attachment_extension' entry '" + text + "' contains a space, a slash or a control character");
    }
    return e;
}

bool type_token_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("!#$&^_.+-*").find(c) != std::string_view::npos;
}

// `application/x-msdownload`, `*/x-ms*`, `image/*`: a glob on the lower-case "type/subtype",
// compiled into an anchored, case-insensitive regex so it joins the field's one scan.
std::string type_glob_regex(const toml::node& node, const std::string& glob) {
    auto slash = glob.find('/');
    bool ok = slash != std::string::npos && slash > 0 && slash + 1 < glob.size() &&
              glob.find('/', slash + 1) == std::string::npos;
    for (char c : glob) ok = ok && (c == '/' || type_token_char(c));
    if (!ok) {
        fail(node, "invalid 'attachment_type' '" + glob +
                       "': expected a MIME type such as application/x-msdownload, '*' matching any characters");
    }
    std::string re = "(?i)^";
    for (char c : glob) {
        if (c == '*') re += ".*";
        else if (std::isalnum(static_cast<unsigned char>(c))) re += c;
        else (re += '\\') += c;
    }
    return re + "$";
}

}  // namespace

void load_content_conditions(Context& ctx, TableReader& r, RuleCondition& c) {
    ContentPatterns& p = ctx.rules.patterns;
    r.with("attachment_name_matches", [&](const toml::node& n) {
        c.attachment_name_matches = as_rule_patterns(ctx, n, "attachment_name_matches", p.attachment_name);
    });
    r.with("attachment_extension", [&](const toml::node& n) {
        auto& list = c.attachment_extension.emplace();
        // Named entries rather than structured bindings: clang before 16 cannot capture a binding.
        for (const auto& entry : as_string_or_array(n, "attachment_extension"))
            ctx.attempt([&] { list.push_back(as_extension(*entry.second, entry.first)); });
    });
    r.with("attachment_type", [&](const toml::node& n) {
        auto& list = c.attachment_type.emplace();
        for (const auto& entry : as_string_or_array(n, "attachment_type")) {
            ctx.attempt([&] {
                const std::string& s = entry.first;
                const toml::node* e = entry.second;
                std::string error;
                std::size_t offset = 0;
                auto re = Regex::compile(type_glob_regex(*e, s), error, offset);
                if (!re) fail(*e, "invalid 'attachment_type' '" + s + "': " + error);
                PatternId id = p.attachment_type.add_regex(*re);
                list.push_back({std::move(*re), id});
            });
        }
    });
    r.with("attachment_size_over", [&](const toml::node& n) { c.attachment_size_over = as_size(n, "attachment_size_over"); });
    r.with("body_contains", [&](const toml::node& n) { c.body_contains = as_rule_texts(n, "body_contains", p.body); });
    r.with("body_matches", [&](const toml::node& n) { c.body_matches = as_rule_patterns(ctx, n, "body_matches", p.body); });
    r.with("mime_malformed", [&](const toml::node& n) { c.mime_malformed = as_bool(n, "mime_malformed"); });
    r.with("part_count_over", [&](const toml::node& n) {
        c.part_count_over = static_cast<std::size_t>(as_integer(n, "part_count_over", 0, 1'000'000));
    });
}

void load_mime(Context& ctx, const toml::node& node) {
    const toml::table& table = as_table(node, "mime");
    SourceLoc loc = loc_of(table);
    if (!ctx.mime_file.empty()) fail(loc, "duplicate [mime] table (first defined in " + ctx.mime_file + ")");
    ctx.mime_file = loc.file;
    MimeLimits& m = ctx.rules.mime;
    TableReader r(ctx, table, "[mime]", {"max_depth", "max_parts", "max_decoded_size", "max_body_text"});
    r.with("max_depth", [&](const toml::node& n) { m.max_depth = static_cast<unsigned>(as_integer(n, "max_depth", 1, 100)); });
    r.with("max_parts", [&](const toml::node& n) {
        m.max_parts = static_cast<std::size_t>(as_integer(n, "max_parts", 1, 100'000));
    });
    r.with("max_decoded_size", [&](const toml::node& n) { m.max_decoded_bytes = as_size(n, "max_decoded_size"); });
    r.with("max_body_text", [&](const toml::node& n) { m.max_body_text = as_size(n, "max_body_text"); });
}

void compile_patterns(Context& ctx, const SourceLoc& where, bool multi_pattern) {
    ContentPatterns& p = ctx.rules.patterns;
    auto compile = [&](PatternSet& set, const std::string& field) {
        if (!multi_pattern) return;  // left uncompiled, a set tries each of its patterns with PCRE2
        auto done = set.compile();
        if (!done) ctx.error(where, "cannot compile the " + field + " patterns: " + done.error().detail);
    };
    compile(p.subject, "Subject");
    for (const auto& [name, index] : p.header_index) compile(p.headers[index], "'" + name + "' header");
    compile(p.any_header, "any_header_matches");
    compile(p.body, "body");
    compile(p.attachment_name, "attachment_name_matches");
    compile(p.attachment_type, "attachment_type");
    ctx.rules.needs_content = std::any_of(ctx.rules.transport_rules.begin(), ctx.rules.transport_rules.end(),
                                          [](const TransportRule& t) {
                                              return t.if_.needs_content() || (t.except && t.except->needs_content());
                                          });
}

}  // namespace mw::policy::loader
