// The mailwarden command line: dispatches to the subcommands.
#pragma once

namespace mw::cli {

// Exit codes: 0 success, 1 a failed check (bad rules for `check`), 2 bad arguments / bad rules for
// commands that need valid rules.
int run(int argc, char** argv);

}  // namespace mw::cli
