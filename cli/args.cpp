#include "cli/args.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <charconv>
#include <memory>
#include <set>
#include <sstream>

namespace mw::cli {

std::optional<std::string> ParsedArgs::get(const std::string& name) const {
    auto it = values_.find(name);
    if (it == values_.end() || it->second.empty()) return std::nullopt;
    return it->second.back();
}

std::vector<std::string> ParsedArgs::all(const std::string& name) const {
    auto it = values_.find(name);
    return it == values_.end() ? std::vector<std::string>{} : it->second;
}

std::string ParsedArgs::get_or(const std::string& name, const std::string& fallback) const {
    auto v = get(name);
    return v ? *v : fallback;
}

namespace {

// CLI11 widens an option without an upper bound on its values to "the rest of the line" only with
// allow_extra_args, which also splits "[a,b]" into two values; a large finite bound keeps every word.
constexpr int multi_max = 1 << 16;

// The help layout. A command with subcommands is listed once per subcommand ("export postfix",
// "export sendmail"), so the top-level list names everything one can type; the usage line names
// the subcommands and the positional words as they are typed.
class HelpFormatter : public CLI::Formatter {
public:
    HelpFormatter() {
        label("Positionals", "Arguments");
        column_width(28);
    }

    std::string make_help(const CLI::App* app, std::string name, CLI::AppFormatMode mode) const override {
        std::string out = CLI::Formatter::make_help(app, std::move(name), mode);
        // CLI11 leaves an empty line for the group of hidden options, and two at the end.
        for (auto at = out.find("\n\n\n"); at != std::string::npos; at = out.find("\n\n\n")) out.erase(at, 1);
        while (out.size() > 1 && out[out.size() - 2] == '\n') out.pop_back();
        return out;
    }

    std::string make_subcommand(const CLI::App* sub) const override {
        std::stringstream out;
        auto children = sub->get_subcommands([](const CLI::App*) { return true; });
        bool top_level_list = sub->get_parent() != nullptr && sub->get_parent()->get_parent() == nullptr;
        if (children.empty() || !top_level_list) {
            CLI::detail::format_help(out, typed(sub), sub->get_description(), column_width_);
        } else {
            for (const CLI::App* child : children)
                CLI::detail::format_help(out, sub->get_name() + " " + typed(child), child->get_description(),
                                         column_width_);
        }
        return out.str();
    }

    std::string make_usage(const CLI::App* app, std::string name) const override {
        std::string out = get_label("Usage") + ": " + name;
        auto subs = app->get_subcommands([](const CLI::App*) { return true; });
        if (app->get_parent() == nullptr) {
            out += " COMMAND";
        } else if (!subs.empty()) {
            std::string names;
            for (const CLI::App* s : subs) names += (names.empty() ? "" : "|") + s->get_name();
            out += " " + names;
        }
        for (const CLI::Option* p : app->get_options([](const CLI::Option* o) { return o->get_positional(); }))
            out += " " + p->get_name(true, false);
        out += " [OPTIONS]\n";
        return out;
    }

private:
    // "show ID": the name and the positional words it takes.
    static std::string typed(const CLI::App* app) {
        std::string out = app->get_name();
        for (const CLI::Option* p : app->get_options([](const CLI::Option* o) { return o->get_positional(); }))
            out += " " + p->get_name(true, false);
        return out;
    }
};

// One CLI::App made from one CommandSpec, with the options declared on it.
struct Declared {
    const CommandSpec* spec = nullptr;
    CLI::App* app = nullptr;
    std::vector<std::pair<const OptionSpec*, CLI::Option*>> options;
    std::vector<CLI::Option*> arguments;
    std::vector<Declared> subcommands;
};

CLI::Option* declare_option(CLI::App& app, const OptionSpec& spec, bool hidden) {
    const std::string& help = spec.help;  // const: CLI11 would bind a non-const string as the flag's variable
    CLI::Option* opt;
    if (spec.value_name.empty()) {
        opt = app.add_flag("--" + spec.name, help);
    } else {
        opt = app.add_option("--" + spec.name, help);
        opt->option_text(spec.value_name);
        if (spec.count == OptionSpec::Count::multi) opt->expected(1, multi_max);
    }
    // Every occurrence is kept; ParsedArgsBuilder says "given more than once" itself.
    opt->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    if (hidden) opt->group("");
    return opt;
}

// Declares `spec` on `app`. `inherited` are the options of the enclosing command, accepted here too;
// `foreign` the options of sibling subcommands, accepted but hidden, so that the command can say
// where such an option belongs ("option '--json' is for 'queue list' only") rather than "unknown".
Declared declare(CLI::App& app, const CommandSpec& spec, const std::vector<const OptionSpec*>& inherited,
                 const std::vector<const OptionSpec*>& foreign) {
    Declared d;
    d.spec = &spec;
    d.app = &app;
    app.allow_extras();
    app.require_subcommand(0, 1);
    std::set<std::string> seen;
    auto add = [&](const OptionSpec* o, bool hidden) {
        if (seen.insert(o->name).second) d.options.emplace_back(o, declare_option(app, *o, hidden));
    };
    std::vector<const OptionSpec*> own = inherited;
    for (const auto& o : spec.options) own.push_back(&o);
    std::vector<const OptionSpec*> sub_options;
    for (const auto& sub : spec.subcommands)
        for (const auto& o : sub.options) sub_options.push_back(&o);

    for (const OptionSpec* o : own) add(o, false);
    for (const OptionSpec* o : foreign) add(o, true);
    for (const OptionSpec* o : sub_options) add(o, true);
    for (const auto& a : spec.arguments) d.arguments.push_back(app.add_option(a.name, a.help)->type_name(""));
    for (const auto& sub : spec.subcommands) {
        CLI::App* s = app.add_subcommand(sub.name, sub.summary);
        s->group("Subcommands");
        s->footer(sub.footer);
        d.subcommands.push_back(declare(*s, sub, own, sub_options));
    }
    return d;
}

bool looks_like_option(const std::string& word) { return word.size() > 1 && word[0] == '-'; }

struct Program {
    CLI::App app;
    std::vector<Declared> commands;
};

std::unique_ptr<Program> declare_program(const ProgramSpec& spec) {
    auto p = std::make_unique<Program>();
    CLI::App& app = p->app;
    app.name("mailwarden");
    app.set_help_flag("-h,--help", "print this help and exit");
    app.description(spec.summary);
    app.formatter(std::make_shared<HelpFormatter>());
    app.set_version_flag("--version", spec.version, "print the version and exit");
    app.allow_extras();
    app.require_subcommand(0, 1);
    for (const auto& c : spec.commands) {
        CLI::App* sub = app.add_subcommand(c.name, c.summary);
        sub->group("Commands");
        sub->footer(c.footer);
        p->commands.push_back(declare(*sub, c, {}, {}));
    }
    app.add_subcommand("help", "this text; 'help COMMAND' is 'COMMAND --help'")->group("Commands");
    app.footer("'mailwarden COMMAND --help' lists a command's options.\n"
               "Exit status: 0 success, 1 the command failed (bad rules for 'check'), 2 bad arguments.");
    return p;
}

// Where CLI11 stopped at an option whose value is missing (`--rules` last), it reports the option
// by name; the message is the one CLI11 builds for it.
std::optional<std::string> option_missing_a_value(const std::vector<Declared>& declared,
                                                  const CLI::ArgumentMismatch& e) {
    for (const auto& d : declared) {
        for (const auto& [spec, opt] : d.options) {
            if (spec->value_name.empty()) continue;
            auto expected = CLI::ArgumentMismatch::TypedAtLeast(opt->get_name(), 1, opt->get_type_name());
            if (std::string(expected.what()) == e.what()) return spec->name;
        }
        if (auto name = option_missing_a_value(d.subcommands, e)) return name;
    }
    return std::nullopt;
}

// `--helo=` is an empty value; CLI11 would read "--helo=" as "--helo" and take the next word.
std::vector<std::string> empty_values_spelled_out(const std::vector<CommandSpec>& commands,
                                                  const std::vector<std::string>& args) {
    std::set<std::string> value_options;
    auto collect = [&](const auto& self, const std::vector<CommandSpec>& specs) -> void {
        for (const auto& c : specs) {
            for (const auto& o : c.options)
                if (!o.value_name.empty()) value_options.insert(o.name);
            self(self, c.subcommands);
        }
    };
    collect(collect, commands);
    std::vector<std::string> out;
    for (const auto& a : args) {
        if (a.size() > 3 && a.compare(0, 2, "--") == 0 && a.find('=') == a.size() - 1 &&
            value_options.count(a.substr(2, a.size() - 3))) {
            out.push_back(a.substr(0, a.size() - 1));
            out.emplace_back();
        } else {
            out.push_back(a);
        }
    }
    return out;
}

}  // namespace

// The words of one parse, as the command reads them.
class ParsedArgsBuilder {
public:
    void take(const std::vector<std::pair<const OptionSpec*, CLI::Option*>>& options,
              const std::vector<CLI::Option*>& arguments, const CLI::App& app) {
        for (const auto& [spec, opt] : options) {
            if (opt->results().empty()) continue;
            specs_[spec->name] = spec;
            auto& slot = parsed_.values_[spec->name];
            slot.insert(slot.end(), opt->results().begin(), opt->results().end());
        }
        for (const CLI::Option* a : arguments)
            parsed_.positional.insert(parsed_.positional.end(), a->results().begin(), a->results().end());
        for (const auto& word : app.remaining()) {
            if (looks_like_option(word)) {
                if (!unknown_) unknown_ = word.substr(0, word.find('='));
            } else {
                parsed_.positional.push_back(word);
            }
        }
    }

    ParsedArgs finish() {
        if (unknown_) throw UsageError("unknown option '" + *unknown_ + "'");
        for (const auto& [name, values] : parsed_.values_) {
            const OptionSpec& spec = *specs_.at(name);
            if (spec.value_name.empty()) {
                // CLI11 records a bare flag as "true" and `--flag=VALUE` as VALUE.
                for (const auto& v : values)
                    if (v != "true") throw UsageError("option '--" + name + "' takes no value");
            }
            if (spec.count == OptionSpec::Count::once && values.size() > 1)
                throw UsageError("option '--" + name + "' given more than once");
        }
        return std::move(parsed_);
    }

    ParsedArgs& parsed() { return parsed_; }

private:
    ParsedArgs parsed_;
    std::map<std::string, const OptionSpec*> specs_;
    std::optional<std::string> unknown_;
};

std::string top_level_help(const ProgramSpec& spec) { return declare_program(spec)->app.help(); }

Invocation parse_command_line(const ProgramSpec& spec, const std::vector<std::string>& args) {
    auto program = declare_program(spec);
    CLI::App& app = program->app;
    Invocation inv;

    // `help [COMMAND [SUBCOMMAND]]`, as the hand-written parser had it.
    if (!args.empty() && args.front() == "help") {
        const CLI::App* at = &app;
        std::string path = "mailwarden";
        for (std::size_t i = 1; i < args.size(); ++i) {
            const CLI::App* next = nullptr;
            for (const CLI::App* s : at->get_subcommands([](const CLI::App*) { return true; }))
                if (s->get_name() == args[i] && s->get_name() != "help") next = s;
            if (!next) throw UsageError("unknown command '" + args[i] + "'");
            if (at != &app) path += " " + at->get_name();
            at = next;
        }
        inv.output = at == &app ? app.help() : at->help(path);
        return inv;
    }

    std::vector<std::string> words = empty_values_spelled_out(spec.commands, args);
    std::reverse(words.begin(), words.end());  // CLI11 takes the words last first
    try {
        app.parse(words);
    } catch (const CLI::CallForHelp&) {
        inv.output = app.help();
        return inv;
    } catch (const CLI::CallForVersion& e) {
        inv.output = std::string(e.what()) + "\n";
        return inv;
    } catch (const CLI::ArgumentMismatch& e) {
        if (auto name = option_missing_a_value(program->commands, e))
            throw UsageError("option '--" + *name + "' needs a value");
        throw UsageError(e.what());
    } catch (const CLI::ParseError& e) {
        throw UsageError(e.what());
    }

    ParsedArgsBuilder builder;
    for (const auto& word : app.remaining()) {
        if (looks_like_option(word)) throw UsageError("unknown option '" + word.substr(0, word.find('=')) + "'");
        throw UsageError("unknown command '" + word + "'");
    }
    for (const auto& c : program->commands) {
        if (!c.app->parsed()) continue;
        inv.command = c.spec;
        builder.take(c.options, c.arguments, *c.app);
        for (const auto& s : c.subcommands) {
            if (!s.app->parsed()) continue;
            builder.parsed().subcommand = s.spec->name;
            builder.take(s.options, s.arguments, *s.app);
        }
    }
    inv.args = builder.finish();
    return inv;
}

unsigned long long parse_count(const std::string& option, const std::string& text) {
    unsigned long long value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size())
        throw UsageError("option '--" + option + "' needs a non-negative whole number, not '" + text + "'");
    return value;
}

}  // namespace mw::cli
