#include "test_support.hpp"

#include <boost/test/unit_test.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

namespace mw::test {

namespace fs = std::filesystem;

TempDir::TempDir(std::string_view tag) {
    const char* tmp = std::getenv("TMPDIR");
    fs::path base = tmp && *tmp ? fs::path(tmp) : fs::temp_directory_path();
    std::random_device rd;
    for (int attempt = 0; attempt < 100; ++attempt) {
        fs::path candidate = base / ("mw-" + std::string(tag) + "-" + std::to_string(rd()));
        std::error_code ec;
        if (fs::create_directories(candidate, ec)) {
            path_ = candidate;
            return;
        }
    }
    throw std::runtime_error("cannot create a temporary directory under " + base.string());
}

TempDir::~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
}

fs::path TempDir::write(const std::string& name, std::string_view content) const {
    fs::path p = path_ / name;
    fs::create_directories(p.parent_path());
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    if (!out) throw std::runtime_error("cannot write " + p.string());
    return p;
}

policy::LoadResult load(const TempDir& dir, std::string_view toml, bool multi_pattern) {
    dir.write("rules/rules.toml", toml);
    policy::LoadOptions options{dir.path() / "rules", dir.path() / "state", multi_pattern};
    return policy::load_rules(options);
}

std::shared_ptr<const policy::Ruleset> load_ok(const TempDir& dir, std::string_view toml, bool multi_pattern) {
    auto result = load(dir, toml, multi_pattern);
    std::ostringstream all;
    for (const auto& d : result.diagnostics) all << d.str() << "\n";
    BOOST_TEST_REQUIRE(result.ok(), "rules did not load:\n" << all.str());
    return result.ruleset;
}


RunResult run_mailwarden(const std::vector<std::string>& args) {
    // stdout and stderr go to temporary files so a large output on one cannot block the other.
    TempDir io("run");
    fs::path out_path = io.path() / "out", err_path = io.path() / "err";
    pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        FILE* o = std::freopen(out_path.c_str(), "w", stdout);
        FILE* e = std::freopen(err_path.c_str(), "w", stderr);
        if (!o || !e) ::_exit(126);
        std::vector<char*> argv;
        std::string bin = MW_BINARY;
        argv.push_back(bin.data());
        std::vector<std::string> copy = args;
        for (auto& a : copy) argv.push_back(a.data());
        argv.push_back(nullptr);
        ::execv(bin.c_str(), argv.data());
        ::_exit(127);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    RunResult r;
    r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    std::ifstream fo(out_path), fe(err_path);
    std::stringstream so, se;
    so << fo.rdbuf();
    se << fe.rdbuf();
    r.out = so.str();
    r.err = se.str();
    return r;
}

}  // namespace mw::test
