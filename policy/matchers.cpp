// Address-pattern matching: one function per pattern kind, three-valued answers (matchers.hpp).
#include "policy/matchers.hpp"

#include <algorithm>

#include "core/enum_names.hpp"

namespace mw::policy {

namespace {

// Deeper than any sane group nesting; only a cycle the loader missed gets here.
constexpr int max_group_depth = 32;

char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::size_t label_count(std::string_view domain) {
    return domain.empty() ? 0 : static_cast<std::size_t>(std::count(domain.begin(), domain.end(), '.')) + 1;
}

Match match_list(const MatchEnv& env, const AddressPattern& pattern, const Address& address) {
    if (!pattern.list) {
        env.note("list file:" + pattern.value + " is not loaded: lookup fails closed");
        return Match::unknown;
    }
    auto found = pattern.list->contains(address);
    if (!found) {
        env.note("list file:" + pattern.value + " lookup failed (" + found.error().origin + ": " +
                 found.error().detail + "): fails closed");
        return Match::unknown;
    }
    return from_bool(*found);
}

}  // namespace

Match match_or(Match a, Match b) {
    if (a == Match::match || b == Match::match) return Match::match;
    if (a == Match::unknown || b == Match::unknown) return Match::unknown;
    return Match::no_match;
}

Match match_and(Match a, Match b) {
    if (a == Match::no_match || b == Match::no_match) return Match::no_match;
    if (a == Match::unknown || b == Match::unknown) return Match::unknown;
    return Match::match;
}

const char* to_string(Match m) {
    static constexpr const char* names[] = {"no match", "match", "unknown"};
    return enum_name(m, names, "unknown");
}

void MatchEnv::note(std::string line) const {
    if (trace) trace->push_back(std::move(line));
}

const AcceptedDomain* find_accepted_domain(const Ruleset& rules, std::string_view domain) {
    if (domain.empty()) return nullptr;
    const AcceptedDomain* best = nullptr;
    for (const auto& ad : rules.accepted_domains) {
        if (!ad.domain.matches(domain)) continue;
        if (!ad.domain.subdomains) return &ad;  // exact beats wildcard
        if (!best || label_count(ad.domain.domain) > label_count(best->domain.domain)) best = &ad;
    }
    return best;
}

bool is_inside(const Ruleset& rules, std::string_view domain) { return find_accepted_domain(rules, domain) != nullptr; }

bool is_inside(const Ruleset& rules, const Address& address) {
    return !address.null && is_inside(rules, address.domain);
}

bool in_scope(const Ruleset& rules, Scope scope, const Address& address) {
    switch (scope) {
        case Scope::any: return true;
        case Scope::inside: return is_inside(rules, address);
        case Scope::outside: return !is_inside(rules, address);
    }
    return false;
}

Match match_pattern(const MatchEnv& env, const AddressPattern& pattern, const Address& address, int depth) {
    using Kind = AddressPattern::Kind;
    switch (pattern.kind) {
        case Kind::any: return Match::match;
        case Kind::inside: return from_bool(is_inside(env.rules, address));
        case Kind::outside: return from_bool(!is_inside(env.rules, address));
        case Kind::address: return from_bool(!address.null && address.str() == pattern.value);
        case Kind::domain: return from_bool(!address.null && domain_matches(address.domain, pattern.value, false));
        case Kind::subdomains: return from_bool(!address.null && domain_matches(address.domain, pattern.value, true));
        case Kind::list:
            if (address.null) return Match::no_match;  // a list holds addresses and domains only
            return match_list(env, pattern, address);
        case Kind::group: {
            const Group* g = env.rules.find_group(pattern.value);
            if (!g) {
                env.note("group '" + pattern.value + "' is not defined: fails closed");
                return Match::unknown;
            }
            if (depth >= max_group_depth) {
                env.note("group '" + pattern.value + "' nests too deeply (a cycle?): fails closed");
                return Match::unknown;
            }
            return match_patterns(env, g->members, address, depth + 1);
        }
    }
    return Match::unknown;
}

Match match_patterns(const MatchEnv& env, const std::vector<AddressPattern>& patterns, const Address& address,
                     int depth) {
    Match result = Match::no_match;
    for (const auto& p : patterns) {
        result = match_or(result, match_pattern(env, p, address, depth));
        if (result == Match::match) break;  // known: later lookups cannot change it
    }
    return result;
}

std::optional<Address> login_address(const Ruleset& rules, const std::string& login) {
    std::string text = login;
    if (login.find('@') == std::string::npos) {
        if (rules.organization.login_domain.empty()) return std::nullopt;
        text += "@" + rules.organization.login_domain;
    }
    auto parsed = parse_address(text);  // normalizes case and quoting as MAIL FROM would be
    if (!parsed.address || parsed.address->null) return std::nullopt;
    return *parsed.address;
}

Match match_sender(const MatchEnv& env, const std::vector<AddressPattern>& patterns, const std::string* login,
                   const Address& sender) {
    if (!login || !sender.null) return match_patterns(env, patterns, sender);
    auto own = login_address(env.rules, *login);
    if (!own) return match_patterns(env, patterns, sender);
    Match m = match_patterns(env, patterns, *own);
    if (m == Match::match)
        env.note("sender pattern matched null sender <> of login " + *login + " as its identity <" + own->str() + ">");
    return m;
}

Match regex_search(const MatchEnv& env, const Regex& regex, std::string_view subject, std::string_view what) {
    auto found = regex.search(subject);
    if (!found) {
        env.note("regex '" + regex.pattern() + "' on " + std::string(what) + " failed (" + found.error().origin +
                 ": " + found.error().detail + "): fails closed");
        return Match::unknown;
    }
    return from_bool(*found);
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return ascii_lower(x) == ascii_lower(y); });
}

bool istarts_with(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

bool icontains(std::string_view haystack, std::string_view needle) {
    auto it = std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                          [](char x, char y) { return ascii_lower(x) == ascii_lower(y); });
    return it != haystack.end() || needle.empty();
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = ascii_lower(c);
    return out;
}

}  // namespace mw::policy
