// `mailwarden serve`: the process that runs every enabled front door on one rules snapshot.
#pragma once

#include "core/daemon_config.hpp"

namespace mw::daemon {

// Blocks the stop signals (SIGTERM, SIGINT, SIGHUP: the main thread waits for them, libmilter takes
// them in milter mode) and ignores SIGPIPE. Call before any thread exists.
void block_stop_signals();

// Runs until a stop signal; returns the exit status. Throws std::exception when it cannot start
// (a listener that cannot be bound, an unknown user, rules that do not load).
int serve(const DaemonConfig& cfg);

}  // namespace mw::daemon
