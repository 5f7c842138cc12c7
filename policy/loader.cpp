// load_rules: reads every *.toml of the rules directory in name order, merges them (array tables
// concatenate; [organization], [domain_security] and [mime] once in the whole directory), validates
// everything and returns a Ruleset only when no error was found (README "Rule files").
#include "policy/loader.hpp"

#include <algorithm>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <system_error>

#include "policy/loader_content.hpp"
#include "policy/loader_tables.hpp"

namespace mw::policy {

namespace fs = std::filesystem;
using namespace loader;

std::string Diagnostic::str() const {
    std::string where = loc.file;
    if (loc.line > 0) where += ":" + std::to_string(loc.line) + ":" + std::to_string(loc.col);
    return where + (severity == Severity::error ? ": error: " : ": warning: ") + message;
}

namespace {

using Files = std::vector<std::pair<std::string, std::string>>;

void load_array_table(Context& ctx, const toml::key& key, const toml::node& node,
                      void (*load)(Context&, const toml::table&)) {
    const std::string name(key.str());
    const toml::array* array = node.as_array();
    if (!array || !array->is_array_of_tables()) {
        ctx.error(loc_of(node), "'" + name + "' must be an array of tables ([[" + name + "]]), not " +
                                    (node.is_table() ? "a table ([" + name + "])" : "a value"));
        return;
    }
    for (const toml::node& element : *array) {
        ctx.attempt([&] { load(ctx, *element.as_table()); });
    }
}

void load_file(Context& ctx, const toml::table& root) {
    static const std::map<std::string_view, void (*)(Context&, const toml::table&), std::less<>> arrays = {
        {"accepted_domain", load_accepted_domain},
        {"group", load_group},
        {"receive_connector", load_receive_connector},
        {"tls_required", load_tls_required},
        {"send_connector", load_send_connector},
        {"delivery_restriction", load_delivery_restriction},
        {"recipient_policy", load_recipient_policy},
        {"send_as", load_send_as},
        {"transport_rule", load_transport_rule},
    };
    TableReader top(ctx, root, "",
                    {"organization", "accepted_domain", "group", "receive_connector", "domain_security",
                     "tls_required", "send_connector", "delivery_restriction", "recipient_policy", "send_as",
                     "transport_rule", "mime"});
    for (const auto& entry : root) {
        const toml::key& key = entry.first;  // named, not a structured binding: lambdas capture it
        const toml::node& node = entry.second;
        std::string_view k = key.str();
        if (k == "organization") {
            ctx.attempt([&] { load_organization(ctx, node); });
        } else if (k == "domain_security") {
            ctx.attempt([&] { load_domain_security(ctx, node); });
        } else if (k == "mime") {
            ctx.attempt([&] { load_mime(ctx, node); });
        } else if (auto it = arrays.find(k); it != arrays.end()) {
            load_array_table(ctx, key, node, it->second);
        }
    }
}

// Diagnostics in the order an admin reads them: rule files in load order, each by line and
// column; list files and anything else after, by name.
void sort_diagnostics(std::vector<Diagnostic>& diagnostics, const Files& files) {
    auto rank = [&](const std::string& file) {
        for (std::size_t i = 0; i < files.size(); ++i)
            if (files[i].first == file) return i;
        return files.size();
    };
    std::stable_sort(diagnostics.begin(), diagnostics.end(), [&](const Diagnostic& a, const Diagnostic& b) {
        auto ka = std::make_tuple(rank(a.loc.file), a.loc.file, a.loc.line, a.loc.col);
        auto kb = std::make_tuple(rank(b.loc.file), b.loc.file, b.loc.line, b.loc.col);
        return ka < kb;
    });
}

LoadResult load_files(const Files& files, const LoadOptions& options, std::vector<Diagnostic> early) {
    Context ctx(options);
    for (auto& d : early) {
        if (d.severity == Diagnostic::Severity::error) ctx.error(d.loc, d.message);
        else ctx.warning(d.loc, d.message);
    }
    ctx.rules.rules_dir = options.rules_dir.string();
    bool syntax_error = false;
    for (const auto& [name, text] : files) {
        toml::table root;
        try {
            root = toml::parse(text, name);
        } catch (const toml::parse_error& e) {
            ctx.error({name, static_cast<int>(e.source().begin.line), static_cast<int>(e.source().begin.column)},
                      std::string(e.description()));
            syntax_error = true;
            continue;
        }
        load_file(ctx, root);
    }
    // A file that did not parse may well hold [organization]: do not pile a second error on it.
    if (ctx.organization_file.empty() && !syntax_error) {
        SourceLoc at = files.empty() ? SourceLoc{options.rules_dir.string(), 0, 0} : SourceLoc{files.front().first, 1, 1};
        ctx.error(at, "missing [organization] table: 'hostname' is required");
    }
    cross_check(ctx);
    // Lower priority runs first; ties keep file order (README "Delivery restrictions, recipient policies, transport rules").
    std::stable_sort(ctx.rules.transport_rules.begin(), ctx.rules.transport_rules.end(),
                     [](const TransportRule& a, const TransportRule& b) {
                         return std::tie(a.priority, a.order) < std::tie(b.priority, b.order);
                     });
    for (const auto& rule : ctx.rules.transport_rules) ctx.rules.transport_gates.push_back(gate_of(rule.if_));
    if (!ctx.has_errors()) {
        compile_patterns(ctx,
                         ctx.rules.transport_rules.empty() ? SourceLoc{options.rules_dir.string(), 0, 0}
                                                           : ctx.rules.transport_rules.front().loc,
                         options.multi_pattern);
    }
    LoadResult result;
    bool ok = !ctx.has_errors();
    result.diagnostics = ctx.take_diagnostics();
    sort_diagnostics(result.diagnostics, files);
    if (ok) result.ruleset = std::make_shared<const Ruleset>(std::move(ctx.rules));
    return result;
}

// The boundary: nothing thrown inside the loader (bad_alloc, filesystem errors) escapes.
LoadResult guarded(const fs::path& rules_dir, const std::function<LoadResult()>& f) {
    std::string what;
    try {
        return f();
    } catch (const std::exception& e) {
        what = e.what();
    } catch (...) {
        what = "unknown exception";
    }
    LoadResult result;
    result.diagnostics.push_back({Diagnostic::Severity::error, {rules_dir.string(), 0, 0},
                                  "internal error while loading rules: " + what});
    return result;
}

}  // namespace

LoadResult load_rules(const LoadOptions& options) {
    return guarded(options.rules_dir, [&] {
        std::vector<Diagnostic> early;
        std::error_code ec;
        if (!fs::is_directory(options.rules_dir, ec)) {
            LoadResult r;
            r.diagnostics.push_back({Diagnostic::Severity::error, {options.rules_dir.string(), 0, 0},
                                     "rules directory not found or not a directory"});
            return r;
        }
        // Only *.toml directly in the directory; dot files (editor swap and backup files) are skipped.
        std::vector<fs::path> paths;
        for (const auto& entry : fs::directory_iterator(options.rules_dir)) {
            std::string name = entry.path().filename().string();
            if (entry.path().extension() == ".toml" && !name.starts_with(".") && entry.is_regular_file(ec)) {
                paths.push_back(entry.path());
            }
        }
        std::sort(paths.begin(), paths.end(),
                  [](const fs::path& a, const fs::path& b) { return a.filename().string() < b.filename().string(); });
        Files files;
        for (const fs::path& p : paths) {
            std::string name = p.filename().string();
            std::ifstream in(p, std::ios::binary);
            std::ostringstream text;
            text << in.rdbuf();
            if (!in) {
                early.push_back({Diagnostic::Severity::error, {name, 0, 0}, "cannot read the file"});
                continue;
            }
            files.emplace_back(name, text.str());
        }
        if (paths.empty()) {
            early.push_back({Diagnostic::Severity::error, {options.rules_dir.string(), 0, 0}, "no *.toml rule files"});
        }
        return load_files(files, options, std::move(early));
    });
}

LoadResult load_rules_from_strings(const std::vector<std::pair<std::string, std::string>>& files,
                                   const LoadOptions& options) {
    return guarded(options.rules_dir, [&] {
        Files sorted = files;
        std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
        return load_files(sorted, options, {});
    });
}

}  // namespace mw::policy
