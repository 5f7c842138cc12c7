#include "policy/list_file.hpp"

#include <algorithm>
#include <cstdint>

#include "policy/domain_name.hpp"
#include "core/quote_text.hpp"

namespace mw {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

}  // namespace

std::optional<std::string> list_entry_key(std::string_view entry, std::string& error) {
    bool wildcard = entry.starts_with("@*.");
    if (wildcard || (entry.starts_with("@") && entry.find(':') == std::string_view::npos)) {
        std::string why;
        auto domain = normalize_domain_checked(entry.substr(wildcard ? 3 : 1), why);
        // "*.d" means names under d; an address literal has none.
        if (domain && wildcard && domain->front() == '[') {
            domain.reset();
            why = "a wildcard needs a domain name";
        }
        if (!domain) {
            error = "invalid domain pattern " + quote_text(entry) + ": " + why;
            return std::nullopt;
        }
        return (wildcard ? "@*." : "@") + *domain;
    }
    auto parsed = parse_address(entry);
    if (!parsed.address) {
        error = "invalid address " + quote_text(entry) + ": " + parsed.error;
        return std::nullopt;
    }
    if (parsed.address->null) {
        error = "invalid address " + quote_text(entry) + ": the null sender <> cannot be listed";
        return std::nullopt;
    }
    return parsed.address->str();
}

namespace {

// A key as the sort sees it: its first eight bytes as a big-endian number decide most comparisons
// without touching the key itself, which keeps sorting a million keys cache-friendly.
struct KeyRef {
    std::uint64_t head = 0;
    std::size_t offset = 0;
    std::size_t size = 0;
};

KeyRef make_ref(std::string_view key, std::size_t offset) {
    KeyRef ref{0, offset, key.size()};
    // Keys hold no NUL byte, so zero padding sorts a short key before its extensions, as memcmp does.
    for (std::size_t i = 0; i < 8; ++i)
        ref.head = ref.head << 8 | (i < key.size() ? static_cast<unsigned char>(key[i]) : 0u);
    return ref;
}

}  // namespace

ParsedList parse_list(std::string_view content) {
    ParsedList list;
    std::vector<KeyRef> refs;
    std::size_t skipped_errors = 0;
    ListEntryError first_skipped;
    if (content.starts_with("\xEF\xBB\xBF")) content.remove_prefix(3);
    refs.reserve(static_cast<std::size_t>(std::count(content.begin(), content.end(), '\n')) + 1);
    list.storage.reserve(content.size());
    int line_number = 0;
    std::string error;
    for (std::size_t start = 0; start < content.size();) {
        auto end = content.find('\n', start);
        if (end == std::string_view::npos) end = content.size();
        std::string_view line = content.substr(start, end - start);
        start = end + 1;
        ++line_number;
        if (auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
        std::size_t first = 0;
        while (first < line.size() && is_space(line[first])) ++first;
        std::size_t last = line.size();
        while (last > first && is_space(line[last - 1])) --last;
        if (first == last) continue;
        auto key = list_entry_key(line.substr(first, last - first), error);
        if (key) {
            refs.push_back(make_ref(*key, list.storage.size()));
            list.storage.insert(list.storage.end(), key->begin(), key->end());
            continue;
        }
        ListEntryError e{line_number, static_cast<int>(first) + 1, std::move(error)};
        if (list.errors.size() < max_reported_errors) list.errors.push_back(std::move(e));
        else if (skipped_errors++ == 0) first_skipped = std::move(e);
        error.clear();
    }
    if (skipped_errors > 0) {
        first_skipped.message = "... and " + std::to_string(skipped_errors) + " more invalid entries";
        list.errors.push_back(std::move(first_skipped));
    }
    std::string_view storage(list.storage.data(), list.storage.size());
    auto view = [&](const KeyRef& r) { return storage.substr(r.offset, r.size); };
    std::sort(refs.begin(), refs.end(), [&](const KeyRef& a, const KeyRef& b) {
        if (a.head != b.head) return a.head < b.head;
        return view(a) < view(b);
    });
    list.keys.reserve(refs.size());
    for (const auto& r : refs)
        if (list.keys.empty() || list.keys.back() != view(r)) list.keys.push_back(view(r));
    return list;
}

}  // namespace mw
