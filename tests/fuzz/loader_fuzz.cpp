// Feeds arbitrary bytes to the rule loader as one rule file: it must report, never crash or throw.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "policy/loader.hpp"

namespace {

// An empty rules directory (list and certificate files are never found) and a state directory,
// both private to this process.
const mw::policy::LoadOptions& options() {
    static const mw::policy::LoadOptions opts = [] {
        std::string base = (std::filesystem::temp_directory_path() / "mw-loader-fuzz-XXXXXX").string();
        if (!::mkdtemp(base.data())) std::abort();
        std::filesystem::create_directories(std::filesystem::path(base) / "rules");
        return mw::policy::LoadOptions{std::filesystem::path(base) / "rules", std::filesystem::path(base) / "state"};
    }();
    return opts;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string text(reinterpret_cast<const char*>(data), size);
    auto result = mw::policy::load_rules_from_strings({{"rules.toml", text}}, options());
    for (const auto& d : result.diagnostics) (void)d.str();
    if (result.ok() && !result.ruleset) std::abort();
    return 0;
}
