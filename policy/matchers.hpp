// Address-pattern matching for the engine (README "Address patterns"), internal to policy/.
//
// Every matcher answers Match, NoMatch or Unknown, as OpenSMTPD's ruleset_match_*() answer
// 1/0/-1: Unknown means the answer could not be determined (a list lookup failed, a PCRE2 match
// hit its limit) and the caller fails closed with 451 4.3.0. Lists combine with Kleene logic: an
// OR is Match if any entry matches even when another is Unknown, because the answer is then known.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/address.hpp"
#include "policy/regex.hpp"
#include "policy/ruleset.hpp"

namespace mw::policy {

enum class Match { no_match, match, unknown };

inline Match from_bool(bool b) { return b ? Match::match : Match::no_match; }
// Kleene OR / AND.
Match match_or(Match a, Match b);
Match match_and(Match a, Match b);
const char* to_string(Match m);  // "match", "no match", "unknown"

// Lookup errors are appended here so `explain` and the logs say why a decision failed closed.
struct MatchEnv {
    const Ruleset& rules;
    std::vector<std::string>* trace = nullptr;
    void note(std::string line) const;
};

// The accepted domain that covers `domain`: an exact entry beats a wildcard, and among wildcards
// the deepest parent wins (as Exchange picks the most specific accepted domain). Null if none.
const AcceptedDomain* find_accepted_domain(const Ruleset& rules, std::string_view domain);
// `inside`: the domain is covered by an accepted domain of any type.
bool is_inside(const Ruleset& rules, std::string_view domain);
// The null reverse path belongs to no domain: it is `outside` (and `any`), never `inside`.
bool is_inside(const Ruleset& rules, const Address& address);

// One pattern against one address. group:NAME recurses into the group's members (the loader
// refuses cycles; a depth limit turns a cycle that slipped through into Unknown, not a crash).
Match match_pattern(const MatchEnv& env, const AddressPattern& pattern, const Address& address, int depth = 0);
// Any pattern of the list (OR).
Match match_patterns(const MatchEnv& env, const std::vector<AddressPattern>& patterns, const Address& address,
                     int depth = 0);
// A sender pattern list (delivery restriction `senders`, recipient policy `accept_only_from` /
// `reject_from`, transport rule `from`) against the session's sender: the envelope sender, which
// MAIL already held to the addresses the login owns. One exception: a null sender from an
// authenticated session (`login` not null) is judged as the login's own address, or MAIL FROM:<>
// would carry a student past every restriction that names students. A login without an address
// of its own (a bare login and no login_domain) leaves the null sender as it is. The trace names
// the address a null sender was judged as when a pattern matched it.
Match match_sender(const MatchEnv& env, const std::vector<AddressPattern>& patterns, const std::string* login,
                   const Address& sender);
// The one address a login is: the login itself when it contains '@', else LOGIN@[organization]
// login_domain; normalized as MAIL FROM would be. Nullopt when it does not parse, or for a bare
// login when there is no login_domain.
std::optional<Address> login_address(const Ruleset& rules, const std::string& login);

// A scope (`from_scope`, `to_scope`) for one address.
bool in_scope(const Ruleset& rules, Scope scope, const Address& address);

// A PCRE2 search; a match error is Unknown (docs/conventions.md "Errors": Postfix skips the rule, we tempfail).
Match regex_search(const MatchEnv& env, const Regex& regex, std::string_view subject, std::string_view what);

// ASCII case-insensitive helpers (header names, authserv-ids, logins).
bool iequals(std::string_view a, std::string_view b);
bool istarts_with(std::string_view s, std::string_view prefix);
bool icontains(std::string_view haystack, std::string_view needle);
std::string lower(std::string_view s);

}  // namespace mw::policy
