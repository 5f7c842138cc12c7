// Internal to the rule loader (loader*.cpp): the state of one load and the helpers every table
// parser shares. Nothing outside the loader includes this.
//
// Error handling: a value that cannot be used throws LoadError; table parsers catch it per key
// (Context::attempt), so one run reports every bad key of every file (README "Rule files": all errors at once)
// and nothing is half-applied. No LoadError escapes load_rules().
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <toml++/toml.h>

#include "policy/loader.hpp"

namespace mw::policy::loader {

struct LoadError {
    SourceLoc loc;
    std::string message;
};

SourceLoc loc_of(const toml::source_region& region);
inline SourceLoc loc_of(const toml::node& node) { return loc_of(node.source()); }
inline SourceLoc loc_of(const toml::key& key) { return loc_of(key.source()); }
std::string loc_text(const SourceLoc& loc);  // "FILE:LINE:COL"

[[noreturn]] void fail(const SourceLoc& loc, std::string message);
[[noreturn]] inline void fail(const toml::node& node, std::string message) { fail(loc_of(node), std::move(message)); }

// Where a name was first defined, for "duplicate ... (first defined at ...)".
using NameIndex = std::map<std::string, SourceLoc, std::less<>>;

// What the cross-checks need beyond the Ruleset's own fields.
struct SendConnectorExtra {
    SourceLoc tls_loc;  // the `tls` value, or the table when absent
};
struct GroupRef {
    std::string name;
    SourceLoc loc;
};

class Context {
public:
    explicit Context(const LoadOptions& options) : options_(options) {}

    const LoadOptions& options() const { return options_; }
    void error(SourceLoc loc, std::string message);
    void warning(SourceLoc loc, std::string message);
    bool has_errors() const { return errors_ > 0; }
    std::vector<Diagnostic> take_diagnostics() { return std::move(diagnostics_); }

    // Runs `f`; a LoadError becomes an error diagnostic and the load goes on with the next key.
    template <typename F>
    void attempt(F&& f) {
        try {
            f();
        } catch (const LoadError& e) {
            error(e.loc, e.message);
        }
    }

    // Registers `name`; a second definition is an error naming the first.
    void unique_name(NameIndex& index, std::string_view what, const std::string& name, const SourceLoc& loc);

    // file:NAME lists: opened once per load, shared by every pattern that names them. Null when the
    // list could not be opened (the error was reported at the first reference).
    std::shared_ptr<const ListStore> open_list(const std::string& name, const SourceLoc& loc);
    // A path in a rule (ca_file, password_file), resolved against the rules directory.
    std::filesystem::path resolve(const std::string& relative) const;

    Ruleset rules;
    std::vector<SendConnectorExtra> send_extra;  // parallel to rules.send_connectors
    std::vector<GroupRef> group_refs;             // every group:NAME, checked after all files
    NameIndex group_names, receive_names, send_names, restriction_names, rule_names, domain_names;
    std::size_t rule_order = 0;
    std::string organization_file;  // file holding [organization], "" if none yet
    std::string domain_security_file;
    std::string mime_file;  // file holding [mime], "" if none yet
    std::optional<SourceLoc> login_domain_loc;  // [organization] login_domain, when given

private:
    const LoadOptions& options_;
    std::vector<Diagnostic> diagnostics_;
    int errors_ = 0;
    std::map<std::string, std::shared_ptr<const ListStore>, std::less<>> lists_;
};

}  // namespace mw::policy::loader
