#include "policy/regex.hpp"

#include <pcre2.h>

namespace mw {

namespace {

// Bounds for one match against a hostile header. The match limit is PCRE2's own default made
// explicit (a catastrophic pattern then fails in well under a second and the rule fails closed);
// the heap limit (KiB) keeps backtracking memory far below PCRE2's 20 GB default.
constexpr std::uint32_t match_limit = 10'000'000;
constexpr std::uint32_t heap_limit_kib = 64 * 1024;

struct MatchContextDeleter {
    void operator()(pcre2_match_context* context) const { pcre2_match_context_free(context); }
};
struct MatchDataDeleter {
    void operator()(pcre2_match_data* data) const { pcre2_match_data_free(data); }
};
using MatchContextPtr = std::unique_ptr<pcre2_match_context, MatchContextDeleter>;
using MatchDataPtr = std::unique_ptr<pcre2_match_data, MatchDataDeleter>;

// One context for every match: pcre2_match only reads it (its parameter is not const-qualified
// in the C API), so threads may share it.
pcre2_match_context* limits() {
    static MatchContextPtr context = [] {
        MatchContextPtr c(pcre2_match_context_create(nullptr));
        if (c) {
            pcre2_set_match_limit(c.get(), match_limit);
            pcre2_set_heap_limit(c.get(), heap_limit_kib);
        }
        return c;
    }();
    return context.get();
}

std::string error_message(int code) {
    PCRE2_UCHAR buffer[256];
    int n = pcre2_get_error_message(code, buffer, sizeof buffer);
    if (n < 0) return "PCRE2 error " + std::to_string(code);
    return std::string(reinterpret_cast<const char*>(buffer), static_cast<std::size_t>(n));
}

}  // namespace

void Pcre2CodeDeleter::operator()(pcre2_real_code_8* code) const { pcre2_code_free(code); }

std::optional<Regex> Regex::compile(std::string_view pattern, std::string& error, std::size_t& error_offset) {
    int code = 0;
    PCRE2_SIZE offset = 0;
    // A pattern must be valid UTF-8 (PCRE2_UTF checks it); subjects need not be (MATCH_INVALID_UTF):
    // mail headers carry any bytes, and they simply never match a character they do not spell.
    Pcre2CodePtr compiled(pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                        PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &code, &offset, nullptr));
    if (!compiled) {
        error = error_message(code);
        error_offset = offset;
        return std::nullopt;
    }
    // JIT is an optimization: where it is unavailable (no JIT support, W^X policies), pcre2_match
    // runs the interpreter on the same code, with the same results.
    (void)pcre2_jit_compile(compiled.get(), PCRE2_JIT_COMPLETE);
    Regex regex;
    regex.code_ = std::shared_ptr<pcre2_real_code_8>(compiled.release(), Pcre2CodeDeleter{});
    regex.pattern_ = std::string(pattern);
    error.clear();
    error_offset = 0;
    return regex;
}

Result<bool> Regex::search(std::string_view subject) const {
    if (!code_) return Error{Error::Kind::permanent, "pcre2 match", "regex was never compiled"};
    // Match data per call: the compiled code is shared between threads, match data cannot be.
    MatchDataPtr data(pcre2_match_data_create_from_pattern(code_.get(), nullptr));
    if (!data) return Error{Error::Kind::temporary, "pcre2 match", "out of memory for match data", ErrorCode::io};
    // An empty view may have no storage; PCRE2 wants a pointer even for length 0.
    static constexpr char empty[] = "";
    const char* text = subject.data() ? subject.data() : empty;
    int rc = pcre2_match(code_.get(), reinterpret_cast<PCRE2_SPTR>(text), subject.size(), 0, 0, data.get(), limits());
    if (rc >= 0) return true;
    if (rc == PCRE2_ERROR_NOMATCH) return false;
    return Error{Error::Kind::temporary, "pcre2 match", "/" + pattern_ + "/: " + error_message(rc), ErrorCode::io};
}

}  // namespace mw
