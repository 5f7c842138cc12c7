// The command line as data: each command declares its options, subcommands and help texts in a
// CommandSpec; parse_command_line (on CLI11, which only cli/args.cpp includes) turns the words into
// ParsedArgs for the command, or into the text of --help / --version.
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
    enum class Count {
        once,        // at most once
        repeatable,  // may be given several times (`--header 'A: b' --header 'C: d'`)
        multi,       // repeatable, and the following non-option words are further values (`--to a@x b@y`)
    };
    std::string name;        // without the leading "--"
    std::string value_name;  // in --help ("DIR", "ADDR..."); empty for a boolean flag
    std::string help;
    Count count = Count::once;
};

class ParsedArgs {
public:
    bool has(const std::string& name) const { return values_.count(name) != 0; }
    std::optional<std::string> get(const std::string& name) const;
    std::vector<std::string> all(const std::string& name) const;
    std::string get_or(const std::string& name, const std::string& fallback) const;
    // The words that are neither options nor the subcommand, in order.
    std::vector<std::string> positional;
    // The chosen subcommand of a command that has them (`postfix` of `export postfix`); empty when
    // none was given, and then `positional` holds what was given instead, for the command to name.
    std::string subcommand;

private:
    friend class ParsedArgsBuilder;
    std::map<std::string, std::vector<std::string>> values_;
};

struct CommandSpec {
    std::string name;
    std::string summary = {};  // in the list of commands and atop the command's --help
    // Options of the command. With subcommands, they are accepted before or after the subcommand's
    // name (`queue --config F list` and `queue list --config F`), as the hand-written parser did.
    std::vector<OptionSpec> options = {};
    std::vector<OptionSpec> arguments = {};  // the positional words ("ID"), by name and help
    std::vector<CommandSpec> subcommands = {};
    // The command; a subcommand has none and runs its command's, with ParsedArgs::subcommand set.
    int (*run)(const ParsedArgs&) = nullptr;
    std::string footer = {};  // more text at the end of --help
};

struct ProgramSpec {
    std::string version;  // what --version prints: "mailwarden 0.1.0"
    std::string summary;  // atop `mailwarden --help`
    std::vector<CommandSpec> commands;
};

struct Invocation {
    // Set for --help, --version and `help`: print it, exit 0.
    std::optional<std::string> output;
    const CommandSpec* command = nullptr;  // otherwise the command to run (nullptr: none was given)
    ParsedArgs args;
};

// Throws UsageError for an unknown option or command, a missing value, a repeated single option and
// a value given to a flag, with the texts of the hand-written parser that came before.
Invocation parse_command_line(const ProgramSpec& program, const std::vector<std::string>& args);

// What `mailwarden --help` prints (and, on stderr, `mailwarden` without a command).
std::string top_level_help(const ProgramSpec& program);

// Parses a non-negative decimal integer option value; UsageError naming the option otherwise.
unsigned long long parse_count(const std::string& option, const std::string& text);

}  // namespace mw::cli
