#include "mime/parser_warnings.hpp"

#include <algorithm>

namespace mw::mime {

namespace {

// Enough to fill the reason list several times over; a message that makes the parser complain
// more often cannot grow this without bound.
constexpr std::size_t max_warnings = 256;

const char* describe(GMimeParserWarning code) {
    switch (code) {
        case GMIME_WARN_INVALID_CONTENT_TYPE: return "invalid Content-Type";
        case GMIME_WARN_MALFORMED_MULTIPART: return "multipart ended by an outer boundary";
        case GMIME_WARN_TRUNCATED_MESSAGE: return "truncated (a multipart lacks its end boundary)";
        case GMIME_WARN_MALFORMED_MESSAGE: return "malformed message";
        case GMIME_CRIT_INVALID_HEADER_NAME: return "invalid header name";
        case GMIME_CRIT_CONFLICTING_HEADER: return "conflicting headers";
        case GMIME_CRIT_CONFLICTING_PARAMETER: return "conflicting header parameters";
        case GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY: return "multipart without boundary";
        case GMIME_CRIT_NESTING_OVERFLOW: return "nested deeper than the MIME parser follows";
        case GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT: return "part without headers or content";
        // Mild and common: a duplicated header or parameter, raw 8-bit or a broken RFC 2047 word in
        // a header, an invalid parameter or address list, a part whose headers a boundary ends.
        default: return nullptr;
    }
}

}  // namespace

void EntityOffsets::add(gint64 offset, const std::string& section) {
    // Offsets only grow in document order; a part without headers (-1) shares its predecessor's.
    if (offset < 0 || (!starts.empty() && offset <= starts.back().first)) return;
    starts.emplace_back(offset, section);
}

std::string EntityOffsets::name_at(gint64 offset) const {
    if (offset < 0) return "message";
    if (first_unrecorded >= 0 && offset >= first_unrecorded) return "a part beyond the part limit";
    auto after = std::upper_bound(starts.begin(), starts.end(), offset,
                                  [](gint64 value, const auto& start) { return value < start.first; });
    if (after == starts.begin()) return "message";
    return "part " + std::prev(after)->second;
}

void ParserWarnings::attach(GMimeParserOptions* options) {
    g_mime_parser_options_set_warning_callback(options, &ParserWarnings::on_warning, this);
}

void ParserWarnings::on_warning(gint64 offset, GMimeParserWarning code, const gchar*, gpointer self) {
    // Called from inside GMime's C code: nothing may throw from here.
    auto& warnings = static_cast<ParserWarnings*>(self)->warnings_;
    if (describe(code) == nullptr || warnings.size() >= max_warnings) return;
    try {
        warnings.push_back({offset, code});
    } catch (...) {
        // Out of memory: the warning is lost, the parse goes on; the caller's next allocation fails.
    }
}

std::vector<std::string> ParserWarnings::reasons(const EntityOffsets& offsets) const {
    std::vector<std::string> out;
    for (const Warning& warning : warnings_) {
        out.push_back(offsets.name_at(warning.offset) + ": " + describe(warning.code));
    }
    return out;
}

}  // namespace mw::mime
