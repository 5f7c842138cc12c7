// Internal to the rule loader: typed access to TOML values. Every getter throws LoadError at the
// value's own location, with a message naming the key as the admin wrote it.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/quantity.hpp"
#include "policy/loader_context.hpp"

namespace mw::policy::loader {

// The name of a value in messages: `'cost' must be an integer`, or for array entries
// `'bind' entries must be strings`.
struct Name {
    std::string key;
    bool entry = false;
    Name(std::string k, bool e = false) : key(std::move(k)), entry(e) {}  // NOLINT: implicit by design
    Name(const char* k) : key(k) {}                                       // NOLINT
    Name(std::string_view k) : key(k) {}                                  // NOLINT
    Name entries() const { return Name(key, true); }
};

// One table: reports unknown keys (with a suggestion) on construction, then hands out its values.
class TableReader {
public:
    TableReader(Context& ctx, const toml::table& table, std::string what,
                std::initializer_list<std::string_view> known);
    const toml::node* get(std::string_view key) const { return table_.get(key); }
    const toml::node& require(std::string_view key) const;  // LoadError when missing
    // Runs f(node) under ctx.attempt when the key is present.
    template <typename F>
    void with(std::string_view key, F&& f) const {
        if (const toml::node* n = get(key)) ctx_.attempt([&] { f(*n); });
    }
    SourceLoc loc() const { return loc_of(table_); }
    const std::string& what() const { return what_; }
    const toml::table& table() const { return table_; }

private:
    Context& ctx_;
    const toml::table& table_;
    std::string what_;
};

// The table's required, non-empty `name`, unique in `index` (duplicates are reported as `what`).
// An error is reported through ctx.attempt; the name is "" when it could not be read.
std::string read_unique_name(Context& ctx, TableReader& r, NameIndex& index, std::string_view what);

[[noreturn]] void type_error(const toml::node& node, const Name& name, std::string_view expected);

std::string as_string(const toml::node& node, const Name& name);
std::string as_nonempty_string(const toml::node& node, const Name& name);
bool as_bool(const toml::node& node, const Name& name);
std::int64_t as_integer(const toml::node& node, const Name& name, std::int64_t min, std::int64_t max);
const toml::table& as_table(const toml::node& node, const Name& name);
const toml::array& as_array(const toml::node& node, const Name& name);
// A string, or an array of strings (subject_contains, remove_header, ...): each with its node.
std::vector<std::pair<std::string, const toml::node*>> as_string_or_array(const toml::node& node, const Name& name);

// "35MB", "10KB", "1GB", "1MiB", "1000" or an integer: bytes. SI units (1MB = 1,000,000, as
// Exchange writes its limits); KiB/MiB/GiB are binary.
std::uint64_t as_size(const toml::node& node, const Name& name);
using mw::parse_size;
// "10m", "5m", "0s", "2h", "1d", "1h30m", or an integer number of seconds.
std::uint32_t as_duration(const toml::node& node, const Name& name);
using mw::parse_duration;

// "550 5.7.1 text": code class in `classes` ("45" for 4xx/5xx), enhanced status class equal.
ReplyTemplate as_reply(const toml::node& node, const Name& name, std::string_view classes);

// "example.com" or "*.example.com", normalized.
DomainPattern as_domain_pattern(const toml::node& node, const Name& name);
std::string as_domain(const toml::node& node, const Name& name);  // a plain domain, normalized
Address as_address(const toml::node& node, const Name& name);     // a real address (not a pattern)

// An enum value from its spelling; the error lists every valid spelling.
template <typename E>
E as_enum(const toml::node& node, const Name& name, std::initializer_list<std::pair<std::string_view, E>> values) {
    std::string s = as_string(node, name);
    std::string valid;
    for (const auto& [spelling, value] : values) {
        if (s == spelling) return value;
        valid += (valid.empty() ? "" : ", ") + std::string(spelling);
    }
    fail(node, "invalid value '" + s + "' for '" + name.key + "': expected one of " + valid);
}

// RFC 5322 field name: printable ASCII except ':' (and no space).
bool valid_header_name(std::string_view name);

}  // namespace mw::policy::loader
