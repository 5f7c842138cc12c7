// Typed TOML getters for the rule loader: strings, booleans, bounded integers, sizes, durations,
// SMTP replies, domains and addresses, each failing at the value's own file:line:col.
#include "policy/loader_values.hpp"

#include <algorithm>
#include <cctype>
#include <limits>

namespace mw::policy::loader {

namespace {

const char* type_name(toml::node_type t, bool plural) {
    switch (t) {
        case toml::node_type::table: return plural ? "tables" : "a table";
        case toml::node_type::array: return plural ? "arrays" : "an array";
        case toml::node_type::string: return plural ? "strings" : "a string";
        case toml::node_type::integer: return plural ? "integers" : "an integer";
        case toml::node_type::floating_point: return plural ? "floating-point numbers" : "a floating-point number";
        case toml::node_type::boolean: return plural ? "booleans" : "a boolean";
        case toml::node_type::date: return plural ? "dates" : "a date";
        case toml::node_type::time: return plural ? "times" : "a time";
        case toml::node_type::date_time: return plural ? "date-times" : "a date-time";
        case toml::node_type::none: break;
    }
    return plural ? "nothing" : "nothing";
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diag = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            std::size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diag = up;
        }
    }
    return row[b.size()];
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

}  // namespace

TableReader::TableReader(Context& ctx, const toml::table& table, std::string what,
                         std::initializer_list<std::string_view> known)
    : ctx_(ctx), table_(table), what_(std::move(what)) {
    for (const auto& [key, value] : table) {
        std::string_view k = key.str();
        if (std::find(known.begin(), known.end(), k) != known.end()) continue;
        std::string message =
            "unknown key '" + std::string(k) + "' " + (what_.empty() ? std::string("at the top level") : "in " + what_);
        std::string_view best;
        std::size_t best_distance = 3;
        for (std::string_view candidate : known) {
            std::size_t d = edit_distance(lower(k), candidate);
            if (d < best_distance) best_distance = d, best = candidate;
        }
        if (!best.empty()) message += "; did you mean '" + std::string(best) + "'?";
        ctx_.error(loc_of(key), std::move(message));
    }
}

const toml::node& TableReader::require(std::string_view key) const {
    if (const toml::node* n = get(key)) return *n;
    fail(loc(), "missing required key '" + std::string(key) + "' in " + what_);
}

void type_error(const toml::node& node, const Name& name, std::string_view expected) {
    std::string message = "'" + name.key + "' " + (name.entry ? "entries" : "") + (name.entry ? " " : "") + "must be " +
                          std::string(expected) + ", not " + type_name(node.type(), false);
    fail(node, std::move(message));
}

std::string as_string(const toml::node& node, const Name& name) {
    if (const auto* s = node.as_string()) return s->get();
    type_error(node, name, name.entry ? "strings" : "a string");
}

std::string as_nonempty_string(const toml::node& node, const Name& name) {
    std::string s = as_string(node, name);
    if (s.empty()) fail(node, "'" + name.key + "' must not be empty");
    return s;
}

bool as_bool(const toml::node& node, const Name& name) {
    if (const auto* b = node.as_boolean()) return b->get();
    type_error(node, name, name.entry ? "booleans" : "a boolean (true or false)");
}

std::int64_t as_integer(const toml::node& node, const Name& name, std::int64_t min, std::int64_t max) {
    const auto* i = node.as_integer();
    if (!i) type_error(node, name, name.entry ? "integers" : "an integer");
    std::int64_t v = i->get();
    if (v < min || v > max) {
        fail(node, "'" + name.key + "' must be " +
                       (max == std::numeric_limits<std::int64_t>::max()
                            ? "at least " + std::to_string(min)
                            : "between " + std::to_string(min) + " and " + std::to_string(max)) +
                       ", not " + std::to_string(v));
    }
    return v;
}

const toml::table& as_table(const toml::node& node, const Name& name) {
    if (const auto* t = node.as_table()) return *t;
    type_error(node, name, name.entry ? "tables" : "a table");
}

const toml::array& as_array(const toml::node& node, const Name& name) {
    if (const auto* a = node.as_array()) return *a;
    type_error(node, name, "an array");
}

std::vector<std::pair<std::string, const toml::node*>> as_string_or_array(const toml::node& node, const Name& name) {
    std::vector<std::pair<std::string, const toml::node*>> out;
    if (const auto* s = node.as_string()) {
        out.emplace_back(s->get(), &node);
    } else if (const auto* a = node.as_array()) {
        if (a->empty()) fail(node, "'" + name.key + "' must not be empty");
        for (const toml::node& e : *a) out.emplace_back(as_string(e, name.entries()), &e);
    } else {
        type_error(node, name, "a string or an array of strings");
    }
    return out;
}

std::uint64_t as_size(const toml::node& node, const Name& name) {
    if (const auto* i = node.as_integer()) {
        if (i->get() < 0) fail(node, "'" + name.key + "' must not be negative");
        return static_cast<std::uint64_t>(i->get());
    }
    if (!node.as_string()) type_error(node, name, "a size (\"35MB\") or a number of bytes");
    std::string s = node.as_string()->get();
    if (auto v = parse_size(s)) return *v;
    fail(node, "invalid size '" + s + "' for '" + name.key +
                   "': expected a number of bytes, or a number with a unit: KB, MB, GB (SI) or KiB, MiB, GiB");
}

std::uint32_t as_duration(const toml::node& node, const Name& name) {
    std::uint64_t v = 0;
    if (const auto* i = node.as_integer()) {
        if (i->get() < 0) fail(node, "'" + name.key + "' must not be negative");
        v = static_cast<std::uint64_t>(i->get());
    } else if (const auto* s = node.as_string()) {
        auto d = parse_duration(s->get());
        if (!d) {
            fail(node, "invalid duration '" + s->get() + "' for '" + name.key +
                           "': expected a number with a unit: s, m, h, d, w (e.g. \"10m\", \"1h30m\")");
        }
        v = *d;
    } else {
        type_error(node, name, "a duration (\"10m\") or a number of seconds");
    }
    if (v > std::numeric_limits<std::uint32_t>::max()) fail(node, "'" + name.key + "' is too long");
    return static_cast<std::uint32_t>(v);
}

ReplyTemplate as_reply(const toml::node& node, const Name& name, std::string_view classes) {
    std::string s = as_string(node, name);
    auto r = parse_smtp_reply(s);
    if (!r) {
        fail(node, "invalid reply '" + s +
                       "': expected \"CODE X.Y.Z text\" with matching classes (e.g. \"550 5.7.1 Delivery not authorized\")");
    }
    char cls = static_cast<char>('0' + r->code / 100);
    if (classes.find(cls) == std::string_view::npos) {
        std::string want;
        for (char c : classes) want += std::string(want.empty() ? "" : " or ") + c + "xx";
        fail(node, "'" + name.key + "' must be a " + want + " reply, not '" + s + "'");
    }
    return *r;
}

DomainPattern as_domain_pattern(const toml::node& node, const Name& name) {
    std::string s = as_string(node, name);
    DomainPattern p;
    std::string_view rest = s;
    if (rest.starts_with("*.")) {
        p.subdomains = true;
        rest.remove_prefix(2);
    }
    // "[192.0.2.1]" names a host, not a domain: it cannot be accepted, routed or TLS-pinned as one.
    if (rest.starts_with("[")) {
        fail(node, "invalid domain '" + s + "' in '" + name.key +
                       "': an address literal is not a domain; expected a domain like example.com or *.example.com");
    }
    auto d = rest.find('*') == std::string_view::npos ? normalize_domain(rest) : std::nullopt;
    if (!d || d->empty()) {
        fail(node, "invalid domain '" + s + "' in '" + name.key + "': expected a domain like example.com or *.example.com");
    }
    p.domain = *d;
    return p;
}

std::string as_domain(const toml::node& node, const Name& name) {
    std::string s = as_string(node, name);
    if (s.starts_with("[")) fail(node, "invalid domain '" + s + "' in '" + name.key + "': an address literal is not a domain");
    auto d = normalize_domain(s);
    if (!d || d->empty()) fail(node, "invalid domain '" + s + "' in '" + name.key + "'");
    return *d;
}

Address as_address(const toml::node& node, const Name& name) {
    std::string s = as_string(node, name);
    AddressParse parsed = parse_address(s);
    if (!parsed.address) fail(node, "invalid address '" + s + "': " + parsed.error);
    if (parsed.address->null) fail(node, "the null address '<>' cannot be used in '" + name.key + "'");
    return *parsed.address;
}

bool valid_header_name(std::string_view name) {
    if (name.empty()) return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        auto u = static_cast<unsigned char>(c);
        return u >= 33 && u <= 126 && c != ':';
    });
}

std::string read_unique_name(Context& ctx, TableReader& r, NameIndex& index, std::string_view what) {
    std::string name;
    ctx.attempt([&] {
        const toml::node& n = r.require("name");
        name = as_nonempty_string(n, "name");
        ctx.unique_name(index, what, name, loc_of(n));
    });
    return name;
}

}  // namespace mw::policy::loader
