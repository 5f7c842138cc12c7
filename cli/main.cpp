// mailwarden: command-line entry point.
#include "cli/cli.hpp"

int main(int argc, char** argv) { return mw::cli::run(argc, argv); }
