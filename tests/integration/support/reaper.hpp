// The last line of defence against leftover servers. Destructors stop what fixtures start, but a test
// killed by CTest's timeout or by a crash runs no destructors, and a daemonized Postfix master is not a
// descendant CTest could find. The reaper is a detached process holding the read end of a pipe whose
// write end only this test process holds: when we die, the pipe reaches EOF and the reaper kills
// whatever is still registered. Normal shutdown unregisters everything first, so it kills nothing.
#pragma once

#include <sys/types.h>

#include <filesystem>

namespace mw::itest::reaper {

// A process group we started (its leader is our child, so the id cannot be reused while registered).
void watch_group(pid_t pgid);
void forget_group(pid_t pgid);

// A private Postfix instance: the reaper reads its master.pid at EOF and kills that process group.
void watch_postfix(const std::filesystem::path& queue_directory);
void forget_postfix(const std::filesystem::path& queue_directory);

}  // namespace mw::itest::reaper
