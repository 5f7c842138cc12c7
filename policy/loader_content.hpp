// Internal to the rule loader: transport-rule patterns registered in the ruleset's PatternSets,
// the content conditions, and [mime] (loader_content.cpp).
#pragma once

#include <string_view>
#include <vector>

#include "policy/loader_values.hpp"

namespace mw::policy::loader {

Regex as_regex(const toml::node& node, const Name& name);
RulePattern as_rule_pattern(const toml::node& node, const Name& name, PatternSet& set);
std::vector<RulePattern> as_rule_patterns(Context& ctx, const toml::node& node, const Name& name, PatternSet& set);
std::vector<RuleText> as_rule_texts(const toml::node& node, const Name& name, PatternSet& set);
// The index of the PatternSet for a header name (case-insensitive), created on first use.
std::size_t header_patterns(Context& ctx, std::string_view header);

// attachment_*, body_*, mime_malformed, part_count_over of one `if` / `except`.
void load_content_conditions(Context& ctx, TableReader& r, RuleCondition& c);
void load_mime(Context& ctx, const toml::node& node);
// After every file: compiles each field's patterns (an error there is reported at `where`) and
// records whether any rule needs the message content.
void compile_patterns(Context& ctx, const SourceLoc& where, bool multi_pattern);

}  // namespace mw::policy::loader
