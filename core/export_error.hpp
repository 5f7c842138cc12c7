// What every `mailwarden export` target throws when the rules cannot be expressed in the MTA's
// files (an unreadable password file, a name the MTA cannot carry): the command exits 1 with its
// message.
#pragma once

#include <stdexcept>

namespace mw {

struct ExportError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

}  // namespace mw
