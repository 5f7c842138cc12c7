#include "policy/pattern_set.hpp"

#include <hs/hs.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <initializer_list>

#include "policy/matchers.hpp"
#include "policy/utf8_check.hpp"

namespace mw::policy {

namespace {

struct DatabaseDeleter {
    void operator()(hs_database_t* db) const { hs_free_database(db); }
};
using DatabasePtr = std::shared_ptr<hs_database_t>;

struct ScratchDeleter {
    void operator()(hs_scratch_t* s) const { hs_free_scratch(s); }
};

// One scratch space per thread, grown to fit every database it is used with. hs_alloc_scratch
// costs microseconds even when the scratch already fits, which is more than a scan of a short
// value, so each thread remembers which compiled sets (by serial, never reused) its scratch has
// been fitted to; a scratch only grows, so a set once fitted stays fitted.
hs_scratch_t* scratch_for(std::uint64_t serial, std::initializer_list<const hs_database_t*> databases) {
    thread_local std::unique_ptr<hs_scratch_t, ScratchDeleter> scratch;
    thread_local std::vector<std::uint64_t> fitted;
    if (scratch && std::find(fitted.rbegin(), fitted.rend(), serial) != fitted.rend()) return scratch.get();
    hs_scratch_t* s = scratch.release();
    for (const hs_database_t* db : databases) {
        if (!db) continue;
        if (hs_alloc_scratch(db, &s) != HS_SUCCESS) {
            scratch.reset(s);
            return nullptr;
        }
    }
    scratch.reset(s);
    if (fitted.size() >= 4096) fitted.clear();  // rule reloads make new serials: forget old ones
    fitted.push_back(serial);
    return scratch.get();
}

std::uint64_t next_serial() {
    static std::atomic<std::uint64_t> serial{0};
    return ++serial;
}

// Hyperscan's answer must never be narrower than PCRE2's. Patterns where the two could disagree on
// what matches stay with PCRE2 alone: any non-ASCII byte or code-point escape in the pattern (UTF
// classes and caseless folding of non-ASCII letters). Caseless patterns disagree only on values
// holding U+212A KELVIN SIGN or U+017F LONG S, which PCRE2 folds onto k and s and Hyperscan does
// not; a k or an s may hide in a class range or an escape ([j-l], \x6b), so every caseless
// pattern is judged by PCRE2 alone on such values (has_ascii_fold_partner), by Hyperscan on others.
enum class Route { hyperscan, hyperscan_unless_fold_partner, pcre2 };

// An inline option group that may set i: (?i), (?mi:...), (?^i), (?x-i) too (conservative: a
// pattern taken for caseless that is not only costs a PCRE2 run on a rare value).
bool may_be_caseless(std::string_view pattern) {
    for (auto at = pattern.find("(?"); at != std::string_view::npos; at = pattern.find("(?", at + 2)) {
        for (std::size_t i = at + 2; i < pattern.size(); ++i) {
            char c = pattern[i];
            if (c == 'i') return true;
            if (std::isalpha(static_cast<unsigned char>(c)) == 0 && c != '^' && c != '-') break;
        }
    }
    return false;
}

Route route_of(std::string_view pattern) {
    for (unsigned char c : pattern)
        if (c >= 0x80) return Route::pcre2;
    if (pattern.find("\\x{") != std::string_view::npos || pattern.find("\\p") != std::string_view::npos ||
        pattern.find("\\P") != std::string_view::npos || pattern.find("\\N") != std::string_view::npos ||
        pattern.find("(*") != std::string_view::npos)
        return Route::pcre2;
    return may_be_caseless(pattern) ? Route::hyperscan_unless_fold_partner : Route::hyperscan;
}

// The UTF-8 of U+212A (E2 84 AA) or U+017F (C5 BF): the only non-ASCII characters PCRE2's caseless
// matching takes for an ASCII letter.
bool has_ascii_fold_partner(std::string_view value) {
    return value.find("\xe2\x84\xaa") != std::string_view::npos || value.find("\xc5\xbf") != std::string_view::npos;
}

int collect(unsigned int id, unsigned long long, unsigned long long, unsigned int, void* context) {
    static_cast<std::vector<PatternId>*>(context)->push_back(id);
    return 0;
}

}  // namespace

void PatternHits::reset(std::size_t patterns) { state_.assign(patterns, 0); }
void PatternHits::mark_matched(PatternId id) {
    if (id < state_.size() && state_[id] != failed_state) state_[id] = matched_state;
}
void PatternHits::mark_failed(PatternId id) {
    if (id < state_.size()) state_[id] = failed_state;
}

struct PatternSet::Impl {
    struct Entry {
        std::optional<Regex> regex;  // else a text
        std::string text;
    };
    std::vector<Entry> entries;
    std::vector<PatternId> pcre2_only;       // regexes matched by PCRE2 on every value
    std::vector<PatternId> prefiltered;      // regexes in `regexes` (all of them on invalid UTF-8)
    std::vector<PatternId> caseless;         // of those, the ones PCRE2 judges alone on fold partners
    std::vector<PatternId> texts;            // texts, all in `literals`
    DatabasePtr regexes, literals;
    bool compiled = false;
    std::uint64_t serial = 0;  // unique per compiled set, for the threads' fitted scratch
};

PatternSet::PatternSet() : impl_(std::make_shared<Impl>()) {}
PatternSet::~PatternSet() = default;
PatternSet::PatternSet(const PatternSet&) = default;
PatternSet& PatternSet::operator=(const PatternSet&) = default;
PatternSet::PatternSet(PatternSet&&) noexcept = default;
PatternSet& PatternSet::operator=(PatternSet&&) noexcept = default;

PatternId PatternSet::add_regex(const Regex& regex) {
    impl_->entries.push_back({regex, {}});
    impl_->compiled = false;
    return static_cast<PatternId>(impl_->entries.size() - 1);
}

PatternId PatternSet::add_text(std::string text) {
    impl_->entries.push_back({std::nullopt, std::move(text)});
    impl_->compiled = false;
    return static_cast<PatternId>(impl_->entries.size() - 1);
}

std::size_t PatternSet::size() const { return impl_->entries.size(); }
std::size_t PatternSet::pcre2_only() const { return impl_->pcre2_only.size(); }

Result<bool> PatternSet::compile() {
    // A fresh Impl: a copy made before compile() keeps what it had.
    auto next = std::make_shared<Impl>();
    next->entries = impl_->entries;
    bool hyperscan = hs_valid_platform() == HS_SUCCESS;
    std::vector<PatternId> candidates;
    for (PatternId id = 0; id < next->entries.size(); ++id) {
        const auto& e = next->entries[id];
        if (!e.regex) {
            next->texts.push_back(id);
        } else if (Route r = route_of(e.regex->pattern()); hyperscan && r != Route::pcre2) {
            candidates.push_back(id);
        } else {
            next->pcre2_only.push_back(id);
        }
    }
    // Regexes: a pattern Hyperscan refuses goes to PCRE2 alone and the rest are compiled again.
    while (!candidates.empty()) {
        std::vector<const char*> expressions;
        std::vector<unsigned> flags(candidates.size(), HS_FLAG_UTF8 | HS_FLAG_PREFILTER | HS_FLAG_SINGLEMATCH |
                                                         HS_FLAG_ALLOWEMPTY);
        for (PatternId id : candidates) expressions.push_back(next->entries[id].regex->pattern().c_str());
        hs_database_t* db = nullptr;
        hs_compile_error_t* error = nullptr;
        hs_error_t rc = hs_compile_multi(expressions.data(), flags.data(), candidates.data(),
                                         static_cast<unsigned>(candidates.size()), HS_MODE_BLOCK, nullptr, &db, &error);
        if (rc == HS_SUCCESS) {
            next->regexes = DatabasePtr(db, DatabaseDeleter{});
            next->prefiltered = candidates;
            for (PatternId id : candidates)
                if (route_of(next->entries[id].regex->pattern()) == Route::hyperscan_unless_fold_partner)
                    next->caseless.push_back(id);
            break;
        }
        int bad = error ? error->expression : -1;
        std::string message = error && error->message ? error->message : "unknown error";
        hs_free_compile_error(error);
        if (bad < 0 || static_cast<std::size_t>(bad) >= candidates.size())
            return Error{Error::Kind::config, "hyperscan hs_compile_multi", message, ErrorCode::config};
        next->pcre2_only.push_back(candidates[static_cast<std::size_t>(bad)]);
        candidates.erase(candidates.begin() + bad);
    }
    // Texts: case-insensitive bytes, exactly icontains' meaning, so no confirmation.
    if (hyperscan && !next->texts.empty()) {
        std::vector<const char*> literals;
        std::vector<std::size_t> lengths;
        std::vector<unsigned> flags(next->texts.size(), HS_FLAG_CASELESS | HS_FLAG_SINGLEMATCH);
        for (PatternId id : next->texts) {
            literals.push_back(next->entries[id].text.data());
            lengths.push_back(next->entries[id].text.size());
        }
        hs_database_t* db = nullptr;
        hs_compile_error_t* error = nullptr;
        hs_error_t rc = hs_compile_lit_multi(literals.data(), flags.data(), next->texts.data(), lengths.data(),
                                             static_cast<unsigned>(next->texts.size()), HS_MODE_BLOCK, nullptr, &db,
                                             &error);
        if (rc != HS_SUCCESS) {
            std::string message = error && error->message ? error->message : "unknown error";
            hs_free_compile_error(error);
            return Error{Error::Kind::config, "hyperscan hs_compile_lit_multi", message, ErrorCode::config};
        }
        next->literals = DatabasePtr(db, DatabaseDeleter{});
    }
    next->compiled = true;
    next->serial = next_serial();
    impl_ = std::move(next);
    return true;
}

namespace {

void confirm(const std::optional<Regex>& regex, PatternId id, std::string_view value, PatternHits& hits) {
    if (hits.decided(id)) return;
    auto found = regex->search(value);
    if (!found) hits.mark_failed(id);
    else if (*found) hits.mark_matched(id);
}

// A scan that fails (it never should: no callback stops it) leaves nothing open: every pattern of
// that database not yet decided fails, and the rules using them fail closed.
void fail_all(const std::vector<PatternId>& ids, PatternHits& hits) {
    for (PatternId id : ids)
        if (!hits.decided(id)) hits.mark_failed(id);
}

// The ids one database reports for a value, in `found`, using the thread's scratch (fitted to every
// database of the set); false when it could not scan (no scratch, or a scan error), and the caller
// then fails that database's patterns closed.
bool candidates(hs_scratch_t* scratch, const hs_database_t* db, std::string_view value, std::vector<PatternId>& found) {
    if (!scratch) return false;
    found.clear();
    return hs_scan(db, value.data(), static_cast<unsigned>(value.size()), 0, scratch, collect, &found) == HS_SUCCESS;
}

}  // namespace

void PatternSet::scan(std::span<const std::string_view> values, PatternHits& hits) const {
    const Impl& impl = *impl_;
    thread_local std::vector<PatternId> found;
    for (std::string_view value : values) {
        if (!impl.compiled) {  // never compiled: every entry the slow, exact way, one after another
            for (PatternId id = 0; id < impl.entries.size(); ++id) {
                const auto& e = impl.entries[id];
                if (e.regex) confirm(e.regex, id, value, hits);
                else if (!hits.decided(id) && icontains(value, e.text)) hits.mark_matched(id);
            }
            continue;
        }
        for (PatternId id : impl.pcre2_only) confirm(impl.entries[id].regex, id, value, hits);
        hs_scratch_t* scratch = nullptr;
        if (impl.regexes || impl.literals) scratch = scratch_for(impl.serial, {impl.regexes.get(), impl.literals.get()});
        if (!impl.prefiltered.empty()) {
            Utf8Kind kind = classify_utf8(value);
            if (kind == Utf8Kind::invalid) {
                for (PatternId id : impl.prefiltered) confirm(impl.entries[id].regex, id, value, hits);
            } else if (candidates(scratch, impl.regexes.get(), value, found)) {
                for (PatternId id : found) confirm(impl.entries[id].regex, id, value, hits);
                if (kind == Utf8Kind::multibyte && !impl.caseless.empty() && has_ascii_fold_partner(value))
                    for (PatternId id : impl.caseless) confirm(impl.entries[id].regex, id, value, hits);
            } else {
                fail_all(impl.prefiltered, hits);
            }
        }
        if (!impl.texts.empty()) {
            if (!impl.literals) {
                for (PatternId id : impl.texts)
                    if (!hits.decided(id) && icontains(value, impl.entries[id].text)) hits.mark_matched(id);
            } else if (candidates(scratch, impl.literals.get(), value, found)) {
                for (PatternId id : found) hits.mark_matched(id);
            } else {
                fail_all(impl.texts, hits);
            }
        }
    }
}

}  // namespace mw::policy
