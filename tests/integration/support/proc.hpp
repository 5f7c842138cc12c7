// What /proc says about running processes: which Postfix daemons live, in which process group, in
// which root directory. Used to stop leftovers and by tests that check chroot and cleanup.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

namespace mw::itest {

struct ProcInfo {
    pid_t pid = 0;
    std::string comm;  // the command name, e.g. "smtpd" (Postfix daemons rename themselves)
    char state = '?';
    pid_t ppid = 0;
    pid_t pgrp = 0;
};

// Every process but zombies.
std::vector<ProcInfo> list_processes();
// Live members of a process group.
std::vector<ProcInfo> process_group(pid_t pgid);
// The root directory a process sees (its chroot), from /proc/PID/root.
std::filesystem::path process_root(pid_t pid);

}  // namespace mw::itest
