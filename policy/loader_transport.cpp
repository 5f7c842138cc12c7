// [[transport_rule]]: conditions (`if`, `except`) and actions (`then`), as Exchange transport rules.
#include <algorithm>
#include <cctype>
#include <limits>

#include "policy/loader_content.hpp"
#include "policy/loader_tables.hpp"

namespace mw::policy::loader {

namespace {

std::string as_header_name(const toml::key& key, std::string_view where) {
    std::string name(key.str());
    if (!valid_header_name(name)) {
        fail(loc_of(key), "invalid header name '" + name + "' in '" + std::string(where) +
                              "': printable ASCII without ':' or spaces (RFC 5322)");
    }
    return name;
}

// Header values go into the message as given: a CR or LF would let a rule inject extra headers,
// and NUL, DEL or other control characters break MTAs and milter hand-over. HTAB is the one
// control character a field body may carry (RFC 5322 WSP).
std::string as_header_value(const toml::node& node, const Name& name) {
    std::string value = as_string(node, name);
    for (char c : value) {
        auto u = static_cast<unsigned char>(c);
        if ((u < 0x20 && c != '\t') || u == 0x7f) {
            fail(node, "'" + name.key + "' values must not contain control characters (CR, LF, NUL, DEL, ...); only tabs are allowed");
        }
    }
    return value;
}

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), s.begin(), [](char a, char b) {
               return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
           });
}

// The fields mailwarden stamps and the header firewall strips from the outside (README "Headers"):
// a rule writing one would forge our own verdict. Removing them is harmless and stays allowed.
bool own_stamp(std::string_view header) {
    return starts_with_nocase(header, "X-Mailwarden-") || starts_with_nocase(header, "X-MS-Exchange-Organization-") ||
           starts_with_nocase(header, "X-MS-Exchange-Forest-") ||
           (header.size() == 22 && starts_with_nocase(header, "Authentication-Results"));
}

Scope as_scope(const toml::node& node, const Name& name) {
    return as_enum<Scope>(node, name, {{"inside", Scope::inside}, {"outside", Scope::outside}, {"any", Scope::any}});
}

RuleCondition load_condition(Context& ctx, const toml::node& node, const std::string& which) {
    const toml::table& t = as_table(node, which);
    TableReader r(ctx, t, "'" + which + "' of [[transport_rule]]",
                  {"from", "to", "from_scope", "to_scope", "subject_contains", "subject_matches", "header_contains",
                   "header_matches", "any_header_matches", "size_over", "authenticated", "tls", "domain_secure",
                   "attachment_name_matches", "attachment_extension", "attachment_type", "attachment_size_over",
                   "body_contains", "body_matches", "mime_malformed", "part_count_over"});
    RuleCondition c;
    ContentPatterns& p = ctx.rules.patterns;
    r.with("from", [&](const toml::node& n) { c.from = as_pattern_list(ctx, n, "from"); });
    r.with("to", [&](const toml::node& n) { c.to = as_pattern_list(ctx, n, "to"); });
    r.with("from_scope", [&](const toml::node& n) { c.from_scope = as_scope(n, "from_scope"); });
    r.with("to_scope", [&](const toml::node& n) { c.to_scope = as_scope(n, "to_scope"); });
    r.with("subject_contains", [&](const toml::node& n) { c.subject_contains = as_rule_texts(n, "subject_contains", p.subject); });
    r.with("subject_matches", [&](const toml::node& n) {
        c.subject_matches = as_rule_patterns(ctx, n, "subject_matches", p.subject);
    });
    r.with("header_contains", [&](const toml::node& n) {
        for (const auto& entry : as_table(n, "header_contains")) {
            const toml::key& key = entry.first;
            const toml::node& value = entry.second;
            ctx.attempt([&] {
                HeaderText h{as_header_name(key, "header_contains"), 0, {}};
                h.set = header_patterns(ctx, h.header);
                for (auto& [s, e] : as_string_or_array(value, std::string(key.str()))) {
                    if (s.empty()) fail(*e, "'" + h.header + "' texts must not be empty: they would match any value");
                    PatternId id = p.headers[h.set].add_text(s);
                    h.texts.push_back({s, id});
                }
                c.header_contains.push_back(std::move(h));
            });
        }
        if (as_table(n, "header_contains").empty()) fail(n, "'header_contains' must not be empty");
    });
    r.with("header_matches", [&](const toml::node& n) {
        for (const auto& entry : as_table(n, "header_matches")) {
            const toml::key& key = entry.first;
            const toml::node& value = entry.second;
            ctx.attempt([&] {
                std::string header = as_header_name(key, "header_matches");
                std::size_t set = header_patterns(ctx, header);
                RulePattern pattern = as_rule_pattern(value, header, p.headers[set]);
                c.header_matches.push_back({std::move(header), set, std::move(pattern)});
            });
        }
        if (as_table(n, "header_matches").empty()) fail(n, "'header_matches' must not be empty");
    });
    r.with("any_header_matches", [&](const toml::node& n) {
        c.any_header_matches = as_rule_patterns(ctx, n, "any_header_matches", p.any_header);
    });
    r.with("size_over", [&](const toml::node& n) { c.size_over = as_size(n, "size_over"); });
    r.with("authenticated", [&](const toml::node& n) { c.authenticated = as_bool(n, "authenticated"); });
    r.with("tls", [&](const toml::node& n) { c.tls = as_bool(n, "tls"); });
    r.with("domain_secure", [&](const toml::node& n) { c.domain_secure = as_bool(n, "domain_secure"); });
    load_content_conditions(ctx, r, c);
    if (t.empty()) fail(node, "'" + which + "' has no conditions");
    return c;
}

std::vector<HeaderField> as_header_fields(const toml::node& node, const std::string& which) {
    std::vector<HeaderField> out;
    const toml::table& t = as_table(node, which);
    if (t.empty()) fail(node, "'" + which + "' must not be empty");
    for (const auto& [key, value] : t) {
        std::string header = as_header_name(key, which);
        if (own_stamp(header)) {
            fail(loc_of(key), "transport rule may not set '" + header +
                                  "': mailwarden's own stamps are set only by mailwarden");
        }
        out.push_back({std::move(header), as_header_value(value, key.str())});
    }
    return out;
}

std::vector<Address> as_addresses(Context& ctx, const toml::node& node, const Name& name) {
    std::vector<Address> out;
    for (const auto& entry : as_string_or_array(node, name)) {
        ctx.attempt([&] { out.push_back(as_address(*entry.second, name)); });
    }
    return out;
}

RuleActions load_actions(Context& ctx, const toml::node& node, const std::string& rule_name) {
    const toml::table& t = as_table(node, "then");
    TableReader r(ctx, t, "'then' of [[transport_rule]]",
                  {"reject", "tempfail", "discard", "quarantine", "add_header", "set_header", "remove_header",
                   "prepend_subject", "add_bcc", "redirect_to", "stop"});
    RuleActions a;
    r.with("reject", [&](const toml::node& n) { a.reject = as_reply(n, "reject", "5"); });
    r.with("tempfail", [&](const toml::node& n) {
        if (const auto* b = n.as_boolean()) {
            if (b->get()) a.tempfail = ReplyTemplate{451, "4.7.1", "Message deferred by rule " + rule_name};
        } else if (n.is_string()) {
            a.tempfail = as_reply(n, "tempfail", "4");
        } else {
            type_error(n, "tempfail", "true or a 4xx reply string");
        }
    });
    r.with("discard", [&](const toml::node& n) { a.discard = as_bool(n, "discard"); });
    r.with("quarantine", [&](const toml::node& n) { a.quarantine = as_bool(n, "quarantine"); });
    r.with("add_header", [&](const toml::node& n) { a.add_header = as_header_fields(n, "add_header"); });
    r.with("set_header", [&](const toml::node& n) { a.set_header = as_header_fields(n, "set_header"); });
    r.with("remove_header", [&](const toml::node& n) {
        for (auto& [s, e] : as_string_or_array(n, "remove_header")) {
            if (!valid_header_name(s)) {
                fail(*e, "invalid header name '" + s + "' in 'remove_header': printable ASCII without ':' or spaces (RFC 5322)");
            }
            a.remove_header.push_back(s);
        }
    });
    r.with("prepend_subject", [&](const toml::node& n) { a.prepend_subject = as_header_value(n, "prepend_subject"); });
    r.with("add_bcc", [&](const toml::node& n) { a.add_bcc = as_addresses(ctx, n, "add_bcc"); });
    r.with("redirect_to", [&](const toml::node& n) { a.redirect_to = as_addresses(ctx, n, "redirect_to"); });
    r.with("stop", [&](const toml::node& n) { a.stop = as_bool(n, "stop"); });
    if (t.empty()) fail(node, "'then' has no actions");
    // One verdict per message: reject, tempfail and discard exclude each other.
    int verdicts = (r.get("reject") ? 1 : 0) + (a.tempfail ? 1 : 0) + (a.discard ? 1 : 0);
    if (verdicts > 1) fail(node, "'then' may hold only one of reject, tempfail and discard");
    return a;
}

}  // namespace

void load_transport_rule(Context& ctx, const toml::table& table) {
    TableReader r(ctx, table, "[[transport_rule]]", {"name", "priority", "if", "except", "then"});
    TransportRule rule;
    rule.loc = r.loc();
    rule.order = ctx.rule_order++;
    rule.name = read_unique_name(ctx, r, ctx.rule_names, "transport rule name");
    r.with("priority", [&](const toml::node& n) {
        rule.priority = static_cast<int>(as_integer(n, "priority", std::numeric_limits<int>::min(),
                                                    std::numeric_limits<int>::max()));
    });
    ctx.attempt([&] { rule.if_ = load_condition(ctx, r.require("if"), "if"); });
    r.with("except", [&](const toml::node& n) { rule.except = load_condition(ctx, n, "except"); });
    ctx.attempt([&] { rule.then = load_actions(ctx, r.require("then"), rule.name); });
    ctx.rules.transport_rules.push_back(std::move(rule));
}

}  // namespace mw::policy::loader
