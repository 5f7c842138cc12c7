// Broken rule sets as data: each tests/diagnostics/c-NN-name/ is a rules directory whose
// `expected-error` holds the exact error lines `mailwarden check` must print (warnings aside).
#define BOOST_TEST_MODULE diagnostics
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace mw::policy;

namespace {

std::string read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string trim_end(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
    return s;
}

std::vector<fs::path> cases() {
    std::vector<fs::path> dirs;
    for (const auto& e : fs::directory_iterator(fs::path(MW_SOURCE_DIR) / "tests" / "diagnostics")) {
        if (e.is_directory() && e.path().filename().string().starts_with("c-")) dirs.push_back(e.path());
    }
    std::sort(dirs.begin(), dirs.end());
    return dirs;
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_broken_rule_set_reports_exactly_its_errors) {
    auto dirs = cases();
    BOOST_TEST(dirs.size() >= 25u);
    for (const fs::path& dir : dirs) {
        BOOST_TEST_CONTEXT(dir.filename().string()) {
            mw::test::TempDir state("diag");
            LoadResult result = load_rules({dir, state.path()});
            std::string actual;
            for (const auto& d : result.diagnostics) {
                if (d.severity == Diagnostic::Severity::error) actual += d.str() + "\n";
            }
            BOOST_TEST(!result.ok());
            BOOST_TEST(trim_end(actual) == trim_end(read(dir / "expected-error")));
        }
    }
}
