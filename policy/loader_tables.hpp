// Internal to the rule loader: one parser per rule table (README "Rule files"), each filling the
// Context's Ruleset and reporting into its diagnostics, plus the checks that need every file.
#pragma once

#include <vector>

#include "policy/loader_values.hpp"

namespace mw::policy::loader {

// loader_patterns.cpp: `user@d`, `@d`, `@*.d`, `group:NAME`, `file:NAME`, inside, outside, any.
// `allow_scopes` is false where a scope makes no sense (an accepted domain's recipients, send_as).
AddressPattern as_address_pattern(Context& ctx, const toml::node& node, const Name& name, bool allow_scopes = true);
// An array of patterns; every bad entry is reported, good ones are kept. Empty is an error unless
// `allow_empty`.
std::vector<AddressPattern> as_pattern_list(Context& ctx, const toml::node& node, const Name& name,
                                            bool allow_scopes = true, bool allow_empty = false);
// A file named in a rule (ca_file, password_file): must exist; returned resolved against the rules
// directory, like list files (README "Address patterns").
std::string as_existing_file(Context& ctx, const toml::node& node, const Name& name);
std::vector<DomainPattern> as_domain_list(Context& ctx, const toml::node& node, const Name& name);

// loader_organization.cpp
void load_organization(Context& ctx, const toml::node& node);
void load_accepted_domain(Context& ctx, const toml::table& table);
void load_group(Context& ctx, const toml::table& table);
void load_domain_security(Context& ctx, const toml::node& node);
void load_tls_required(Context& ctx, const toml::table& table);

// loader_connectors.cpp
void load_receive_connector(Context& ctx, const toml::table& table);
void load_send_connector(Context& ctx, const toml::table& table);
// loader_etrn.cpp: a send connector's `etrn = { server, domains, every }`.
EtrnRequest as_etrn_request(Context& ctx, const toml::node& node);

// loader_rules.cpp
void load_delivery_restriction(Context& ctx, const toml::table& table);
void load_recipient_policy(Context& ctx, const toml::table& table);
void load_send_as(Context& ctx, const toml::table& table);

// loader_transport.cpp
void load_transport_rule(Context& ctx, const toml::table& table);

// loader_checks.cpp: group references and cycles, smart-host TLS against domain requirements.
void cross_check(Context& ctx);

}  // namespace mw::policy::loader
