// Command-line option parsing shared by the subcommands: `--name value`, `--name=value`, boolean
// flags, repeatable options, and options that take several values (`--to a@x b@y`).
#pragma once

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace mw::cli {

// Bad arguments: the message names the option; the command exits 2.
struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct OptionSpec {
    std::string name;         // without the leading "--"
    bool takes_value = true;  // false: a boolean flag
    bool repeatable = false;  // may be given several times
    bool multi = false;       // following non-option words are further values
};

class ParsedArgs {
public:
    bool has(const std::string& name) const { return values_.count(name) != 0; }
    std::optional<std::string> get(const std::string& name) const;
    std::vector<std::string> all(const std::string& name) const;
    std::string get_or(const std::string& name, const std::string& fallback) const;
    std::vector<std::string> positional;

private:
    friend ParsedArgs parse_args(const std::vector<std::string>&, const std::vector<OptionSpec>&);
    std::map<std::string, std::vector<std::string>> values_;
};

// Throws UsageError for an unknown option, a missing value, or a repeated single option.
ParsedArgs parse_args(const std::vector<std::string>& args, const std::vector<OptionSpec>& specs);

// Parses a non-negative decimal integer option value; UsageError naming the option otherwise.
unsigned long long parse_count(const std::string& option, const std::string& text);

}  // namespace mw::cli
