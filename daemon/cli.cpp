#include "daemon/cli.hpp"

#include <cstdio>

namespace mw::cli {

int run(int, char**) {
    std::fputs("mailwarden: not yet implemented\n", stderr);
    return 2;
}

}  // namespace mw::cli
