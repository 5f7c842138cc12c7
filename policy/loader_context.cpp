// The state of one rule load: diagnostics, name registries, list files opened once per load.
#include "policy/loader_context.hpp"

#include <system_error>

namespace mw::policy::loader {

namespace fs = std::filesystem;

SourceLoc loc_of(const toml::source_region& region) {
    SourceLoc loc;
    if (region.path) loc.file = *region.path;
    loc.line = static_cast<int>(region.begin.line);
    loc.col = static_cast<int>(region.begin.column);
    return loc;
}

std::string loc_text(const SourceLoc& loc) {
    return loc.file + ":" + std::to_string(loc.line) + ":" + std::to_string(loc.col);
}

void fail(const SourceLoc& loc, std::string message) { throw LoadError{loc, std::move(message)}; }

void Context::error(SourceLoc loc, std::string message) {
    diagnostics_.push_back({Diagnostic::Severity::error, std::move(loc), std::move(message)});
    ++errors_;
}

void Context::warning(SourceLoc loc, std::string message) {
    diagnostics_.push_back({Diagnostic::Severity::warning, std::move(loc), std::move(message)});
}

void Context::unique_name(NameIndex& index, std::string_view what, const std::string& name, const SourceLoc& loc) {
    auto [it, inserted] = index.emplace(name, loc);
    if (!inserted) {
        fail(loc, "duplicate " + std::string(what) + " '" + name + "' (first defined at " + loc_text(it->second) + ")");
    }
}

fs::path Context::resolve(const std::string& relative) const {
    fs::path p(relative);
    return p.is_absolute() ? p : options_.rules_dir / p;
}

std::shared_ptr<const ListStore> Context::open_list(const std::string& name, const SourceLoc& loc) {
    if (auto it = lists_.find(name); it != lists_.end()) return it->second;
    auto& slot = lists_[name];  // null until it opens: later references do not repeat the error
    fs::path source = resolve(name);
    std::error_code ec;
    if (!fs::is_regular_file(source, ec)) {
        fs::path parent = fs::path(name).parent_path();
        std::string where = fs::path(name).is_absolute() ? parent.string()
                            : parent.empty()             ? "the rules directory"
                                                         : parent.string() + "/ under the rules directory";
        error(loc, "list file '" + name + "' not found (looked in " + where + ")");
        return nullptr;
    }
    if (options_.state_dir.empty()) {
        error(loc, "list file '" + name + "' cannot be compiled: no state directory given");
        return nullptr;
    }
    // ListStore::open compiles into STATE_DIR/lists/ itself.
    std::vector<ListEntryError> entry_errors;
    auto store = ListStore::open(source, options_.state_dir, entry_errors);
    // Entry errors point into the list file itself, named as the rule wrote it.
    for (const auto& e : entry_errors) error({name, e.line, e.col}, e.message);
    if (!store) {
        error(loc, "list file '" + name + "' cannot be compiled: " + store.error().detail);
        return nullptr;
    }
    slot = store.value();
    return slot;
}

}  // namespace mw::policy::loader
