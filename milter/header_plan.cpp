#include "milter/header_plan.hpp"

#include <algorithm>
#include <cctype>
#include <map>

namespace mw::milter {

namespace {

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

bool is_stamp(const std::string& name) {
    std::string n = lower(name);
    return n.rfind("x-mailwarden-", 0) == 0 || n == "authentication-results" ||
           n.rfind("x-ms-exchange-organization-", 0) == 0;
}

// One header name's fields as the MTA sees them while the plan runs.
struct Fields {
    std::vector<int> originals;    // 1-based arrival indexes still present, ascending
    std::vector<std::string> values;  // their current values
};

}  // namespace

std::vector<HeaderOp> plan_header_ops(policy::Mta mta, const policy::HeaderFacts& original,
                                      const std::vector<policy::HeaderEdit>& edits) {
    using policy::HeaderEdit;
    std::map<std::string, Fields> fields;
    std::map<std::string, int> seen;
    for (const auto& f : original.fields) {
        auto& entry = fields[lower(f.name)];
        entry.originals.push_back(++seen[lower(f.name)]);
        entry.values.push_back(f.value);
    }
    std::map<std::string, std::vector<int>> deleted;  // original indexes deleted so far, per name
    // The index the MTA uses now for a surviving field with this original index.
    auto current_index = [&](const std::string& key, int original_index) {
        if (mta != policy::Mta::postfix) return original_index;
        const auto& d = deleted[key];
        return original_index - static_cast<int>(std::count_if(d.begin(), d.end(), [&](int i) { return i < original_index; }));
    };
    auto remove = [&](std::vector<HeaderOp>& ops, const std::string& name, int original_index) {
        std::string key = lower(name);
        auto& f = fields[key];
        auto it = std::find(f.originals.begin(), f.originals.end(), original_index);
        if (it == f.originals.end()) return;
        ops.push_back({HeaderOp::Kind::change, name, current_index(key, original_index), std::nullopt});
        f.values.erase(f.values.begin() + (it - f.originals.begin()));
        f.originals.erase(it);
        deleted[key].push_back(original_index);
    };

    std::vector<HeaderOp> ops;
    // Pass 1: every deletion, highest index first per name (the engine orders its removals so).
    for (const auto& e : edits)
        if (e.kind == HeaderEdit::Kind::remove) remove(ops, e.name, e.index);
    // `set` keeps the first surviving field and deletes the rest, still before any addition.
    for (const auto& e : edits) {
        if (e.kind != HeaderEdit::Kind::set) continue;
        auto& f = fields[lower(e.name)];
        for (std::size_t i = f.originals.size(); i > 1; --i) remove(ops, e.name, f.originals[i - 1]);
    }
    // Pass 2: changes and additions, in the engine's order.
    for (const auto& e : edits) {
        std::string key = lower(e.name);
        auto& f = fields[key];
        switch (e.kind) {
            case HeaderEdit::Kind::remove: break;
            case HeaderEdit::Kind::set:
                if (f.originals.empty()) {
                    ops.push_back({HeaderOp::Kind::append, e.name, 0, e.value});
                } else {
                    ops.push_back({HeaderOp::Kind::change, e.name, current_index(key, f.originals.front()), e.value});
                    f.values.front() = e.value;
                }
                break;
            case HeaderEdit::Kind::prepend_subject: {
                auto& subject = fields["subject"];
                if (subject.originals.empty()) {
                    ops.push_back({HeaderOp::Kind::append, "Subject", 0, e.value});
                } else {
                    subject.values.front() = e.value + subject.values.front();
                    ops.push_back({HeaderOp::Kind::change, "Subject", current_index("subject", subject.originals.front()),
                                   subject.values.front()});
                }
                break;
            }
            case HeaderEdit::Kind::add:
                ops.push_back({is_stamp(e.name) ? HeaderOp::Kind::insert_top : HeaderOp::Kind::append, e.name, 0, e.value});
                break;
        }
    }
    return ops;
}

}  // namespace mw::milter
