#include "mime/structure_guard.hpp"

#include <algorithm>
#include <unordered_set>

namespace mw::mime {

namespace {

// GMime's parser follows at most this many nested levels (MAX_LEVEL in gmime-parser.c), so no more
// boundaries than this are open at once.
constexpr std::size_t gmime_max_level = 1024;
// Distinct boundary values remembered; a message declaring more gets no more lines counted as parts
// for the extra ones, but its "--" lines still cost comparisons.
constexpr std::size_t max_boundary_values = 65536;

bool is_lwsp(char c) { return c == ' ' || c == '\t' || c == '\r'; }

std::string_view trim_end(std::string_view text) {
    while (!text.empty() && is_lwsp(text.back())) text.remove_suffix(1);
    return text;
}

// The value of every "boundary=" parameter on this line (RFC 2046 section 5.1.1: a token or a
// quoted string); any line, not only header lines: counting one too many only makes the budget
// stricter.
template <typename Add>
void find_boundaries(std::string_view line, Add add) {
    static constexpr std::string_view name = "boundary";
    for (std::size_t i = 0; i + name.size() < line.size(); ++i) {
        if ((line[i] | 0x20) != 'b') continue;
        bool match = true;
        for (std::size_t k = 1; k < name.size() && match; ++k) match = (line[i + k] | 0x20) == name[k];
        if (!match) continue;
        std::size_t p = i + name.size();
        while (p < line.size() && is_lwsp(line[p])) ++p;
        if (p >= line.size() || line[p] != '=') continue;
        ++p;
        while (p < line.size() && is_lwsp(line[p])) ++p;
        std::size_t end = p;
        if (p < line.size() && line[p] == '"') {
            end = line.find('"', ++p);
            if (end == std::string_view::npos) end = line.size();
        } else {
            while (end < line.size() && line[end] != ';' && !is_lwsp(line[end])) ++end;
        }
        add(line.substr(p, end - p));
        i = end;
    }
}

}  // namespace

StructureScan scan_structure(std::string_view message, const StructureBudget& budget) {
    StructureScan scan;
    scan.parse_bytes = message.size();
    std::unordered_set<std::string_view> values;
    std::size_t declared = 0, boundary_lines = 0, comparisons = 0;
    bool cut = false;
    for (std::size_t start = 0; start < message.size();) {
        std::size_t end = message.find('\n', start);
        if (end == std::string_view::npos) end = message.size();
        const std::string_view line = message.substr(start, end - start);
        if (line.size() >= 2 && line[0] == '-' && line[1] == '-') {
            std::string_view marker = trim_end(line.substr(2));
            bool known = values.count(marker) > 0;
            if (!known && marker.size() >= 2 && marker.substr(marker.size() - 2) == "--") {
                known = values.count(marker.substr(0, marker.size() - 2)) > 0;
            }
            if (cut) {
                scan.boundary_lines_after += known ? 1 : 0;
            } else {
                comparisons += std::min(declared, gmime_max_level);
                boundary_lines += known ? 1 : 0;
                if (boundary_lines > budget.max_boundary_lines || comparisons > budget.max_comparisons) {
                    cut = true;
                    scan.parse_bytes = start;
                    scan.boundary_lines_after = known ? 1 : 0;
                    scan.reason = "not parsed past byte " + std::to_string(start) +
                                  (boundary_lines > budget.max_boundary_lines ? ": more than " +
                                       std::to_string(budget.max_boundary_lines) + " boundary lines"
                                                                               : ": too many nested boundaries");
                }
            }
        }
        if (!cut) {
            find_boundaries(line, [&](std::string_view value) {
                ++declared;
                if (values.size() < max_boundary_values) values.insert(value);
            });
        }
        start = end + 1;
    }
    return scan;
}

}  // namespace mw::mime
