#include "cli/args.hpp"

#include <algorithm>
#include <charconv>

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

ParsedArgs parse_args(const std::vector<std::string>& args, const std::vector<OptionSpec>& specs) {
    ParsedArgs parsed;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (arg.size() < 3 || arg.compare(0, 2, "--") != 0) {
            if (!arg.empty() && arg[0] == '-' && arg != "-")
                throw UsageError("unknown option '" + arg + "'");
            parsed.positional.push_back(arg);
            continue;
        }
        std::string name = arg.substr(2);
        std::optional<std::string> inline_value;
        if (auto eq = name.find('='); eq != std::string::npos) {
            inline_value = name.substr(eq + 1);
            name.resize(eq);
        }
        auto spec = std::find_if(specs.begin(), specs.end(), [&](const OptionSpec& s) { return s.name == name; });
        if (spec == specs.end()) throw UsageError("unknown option '--" + name + "'");
        auto& slot = parsed.values_[name];
        if (!slot.empty() && !spec->repeatable && !spec->multi)
            throw UsageError("option '--" + name + "' given more than once");
        if (!spec->takes_value) {
            if (inline_value) throw UsageError("option '--" + name + "' takes no value");
            slot.push_back("true");
            continue;
        }
        if (inline_value) {
            slot.push_back(*inline_value);
        } else {
            if (i + 1 >= args.size()) throw UsageError("option '--" + name + "' needs a value");
            slot.push_back(args[++i]);
        }
        // `--to a@x b@y`: further words up to the next option belong to a multi-value option.
        while (spec->multi && i + 1 < args.size() && args[i + 1].compare(0, 2, "--") != 0)
            slot.push_back(args[++i]);
    }
    return parsed;
}

unsigned long long parse_count(const std::string& option, const std::string& text) {
    unsigned long long value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size())
        throw UsageError("option '--" + option + "' needs a non-negative whole number, not '" + text + "'");
    return value;
}

}  // namespace mw::cli
