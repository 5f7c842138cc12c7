#include "support/proc.hpp"

#include <sstream>
#include <system_error>

#include "support/process.hpp"

namespace mw::itest {

namespace fs = std::filesystem;

std::vector<ProcInfo> list_processes() {
    std::vector<ProcInfo> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator("/proc", ec)) {
        const std::string name = e.path().filename().string();
        if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
        // "PID (COMM) STATE PPID PGRP …": COMM may hold spaces and parentheses, so split at the last ')'.
        const std::string stat = read_file(e.path() / "stat");
        auto open = stat.find('('), close = stat.rfind(')');
        if (open == std::string::npos || close == std::string::npos || close < open) continue;
        ProcInfo p;
        p.pid = std::stoi(name);
        p.comm = stat.substr(open + 1, close - open - 1);
        std::istringstream rest(stat.substr(close + 1));
        rest >> p.state >> p.ppid >> p.pgrp;
        if (rest && p.state != 'Z') out.push_back(std::move(p));
    }
    return out;
}

std::vector<ProcInfo> process_group(pid_t pgid) {
    std::vector<ProcInfo> members;
    for (auto& p : list_processes())
        if (p.pgrp == pgid) members.push_back(std::move(p));
    return members;
}

fs::path process_root(pid_t pid) {
    std::error_code ec;
    return fs::read_symlink(fs::path("/proc") / std::to_string(pid) / "root", ec);
}

}  // namespace mw::itest
