// mailwarden: command-line entry point.
#include "daemon/cli.hpp"

int main(int argc, char** argv) { return mw::cli::run(argc, argv); }
