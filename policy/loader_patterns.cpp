// Address patterns and domain lists as README "Address patterns" defines them.
#include <string>
#include <system_error>

#include "policy/loader_tables.hpp"

namespace mw::policy::loader {

namespace {

const char* const pattern_help =
    "expected user@domain, @domain, @*.domain, group:NAME, file:NAME, inside, outside or any";

std::string pattern_domain(const toml::node& node, const std::string& text, std::string_view domain) {
    auto d = domain.find('*') == std::string_view::npos ? normalize_domain(domain) : std::nullopt;
    if (!d || d->empty()) fail(node, "invalid domain '" + std::string(domain) + "' in '" + text + "'");
    return *d;
}

}  // namespace

AddressPattern as_address_pattern(Context& ctx, const toml::node& node, const Name& name, bool allow_scopes) {
    std::string s = as_string(node, name);
    AddressPattern p;
    p.loc = loc_of(node);
    if (s == "inside" || s == "outside" || s == "any") {
        if (!allow_scopes) fail(node, "'" + s + "' cannot be used in '" + name.key + "': name addresses or domains");
        p.kind = s == "inside" ? AddressPattern::Kind::inside
                 : s == "outside" ? AddressPattern::Kind::outside
                                  : AddressPattern::Kind::any;
        return p;
    }
    if (s.starts_with("group:")) {
        p.kind = AddressPattern::Kind::group;
        p.value = s.substr(6);
        if (p.value.empty()) fail(node, "invalid address pattern '" + s + "': the group name is empty");
        ctx.group_refs.push_back({p.value, p.loc});  // checked once every file is read
        return p;
    }
    if (s.starts_with("file:")) {
        p.kind = AddressPattern::Kind::list;
        p.value = s.substr(5);
        if (p.value.empty()) fail(node, "invalid address pattern '" + s + "': the file name is empty");
        p.list = ctx.open_list(p.value, p.loc);
        return p;
    }
    if (s.starts_with("@*.")) {
        p.kind = AddressPattern::Kind::subdomains;
        p.value = pattern_domain(node, s, std::string_view(s).substr(3));
        return p;
    }
    if (s.starts_with("@") && s.find(':') == std::string::npos) {  // "@x:u@y" is a source route
        p.kind = AddressPattern::Kind::domain;
        p.value = pattern_domain(node, s, std::string_view(s).substr(1));
        return p;
    }
    if (s.find('@') == std::string::npos) fail(node, "invalid address pattern '" + s + "': " + pattern_help);
    AddressParse parsed = parse_address(s);
    if (!parsed.address) fail(node, "invalid address '" + s + "': " + parsed.error);
    if (parsed.address->null) fail(node, "invalid address pattern '" + s + "': " + pattern_help);
    p.kind = AddressPattern::Kind::address;
    p.value = parsed.address->str();
    return p;
}

std::vector<AddressPattern> as_pattern_list(Context& ctx, const toml::node& node, const Name& name,
                                            bool allow_scopes, bool allow_empty) {
    const toml::array& array = as_array(node, name);
    if (array.empty() && !allow_empty) fail(node, "'" + name.key + "' must not be empty");
    std::vector<AddressPattern> out;
    for (const toml::node& e : array) {
        ctx.attempt([&] { out.push_back(as_address_pattern(ctx, e, name.entries(), allow_scopes)); });
    }
    return out;
}

std::vector<DomainPattern> as_domain_list(Context& ctx, const toml::node& node, const Name& name) {
    std::vector<DomainPattern> out;
    for (const toml::node& e : as_array(node, name)) {
        ctx.attempt([&] { out.push_back(as_domain_pattern(e, name.entries())); });
    }
    return out;
}

std::string as_existing_file(Context& ctx, const toml::node& node, const Name& name) {
    std::string s = as_nonempty_string(node, name);
    std::filesystem::path p = ctx.resolve(s);
    std::error_code ec;
    if (!std::filesystem::is_regular_file(p, ec)) {
        fail(node, name.key + " '" + s + "' not found" +
                       (std::filesystem::path(s).is_absolute() ? "" : " (relative paths are relative to the rules directory)"));
    }
    return p.string();
}

}  // namespace mw::policy::loader
