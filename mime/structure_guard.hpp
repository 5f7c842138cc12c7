// A linear pre-scan that bounds what GMime's parser does with a message. GMime 3.2 builds every
// part in memory (about 1.3 KB each: a 4 MB message of one million empty parts took 1.4 GB and
// 9 s), and it compares each line that starts with "--" against every open boundary, up to its
// nesting limit of 1024 (1000 nested multiparts and 3 million "--" lines took 16 s). The scan
// finds the byte where either cost would pass a budget; the inspection parses only the bytes
// before it and reports the rest as malformed.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace mw::mime {

struct StructureBudget {
    std::size_t max_boundary_lines = 50000;  // lines that match a declared boundary: parts GMime builds
    std::size_t max_comparisons = 64u << 20;  // "--" lines times the boundaries open before each
};

struct StructureScan {
    std::size_t parse_bytes = 0;            // parse message[0, parse_bytes)
    std::size_t boundary_lines_after = 0;   // boundary lines past parse_bytes: parts not parsed
    std::string reason;                     // why parse_bytes is short of the message; empty if it is not
};

StructureScan scan_structure(std::string_view message, const StructureBudget& budget = {});

}  // namespace mw::mime
