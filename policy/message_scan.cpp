#include "policy/message_scan.hpp"

#include "policy/header_decoding.hpp"
#include "core/quote_text.hpp"

namespace mw::policy::detail {

namespace {

const PatternHits& scan_once(std::optional<PatternHits>& slot, const PatternSet& set,
                             std::span<const std::string_view> values) {
    if (!slot) {
        slot.emplace();
        slot->reset(set.size());
        if (!set.empty() && !values.empty()) set.scan(values, *slot);
    }
    return *slot;
}

const PatternHits& scan_once(std::optional<PatternHits>& slot, const PatternSet& set,
                             const std::vector<std::string>& values) {
    std::vector<std::string_view> views(values.begin(), values.end());
    return scan_once(slot, set, views);
}

}  // namespace

std::vector<std::string> field_values(const MessageState& state, std::string_view name) {
    std::vector<std::string> out;
    const auto& fields = state.headers.fields;
    for (std::size_t i = 0; i < fields.size(); ++i) {
        if (state.firewalled[i] || !iequals(field_name(fields[i]), name)) continue;
        std::string raw = unfold(fields[i].value);
        std::string decoded = decode_extended_parameters(decode_encoded_words(raw));
        if (decoded != raw) out.push_back(std::move(decoded));
        out.push_back(std::move(raw));
    }
    return out;
}

MessageScan::MessageScan(const ContentPatterns& patterns, const MessageState& state, const MessageContent* content)
    : patterns_(patterns), state_(state), content_(content), headers_(patterns.headers.size()) {
    if (content_) {
        names_.resize(content_->parts.size());
        types_.resize(content_->parts.size());
        extensions_.resize(content_->parts.size());
    }
}

const PatternHits& MessageScan::subject() {
    if (subject_) return *subject_;
    return scan_once(subject_, patterns_.subject, field_values(state_, "Subject"));
}

const PatternHits& MessageScan::header(std::size_t set) {
    auto& slot = headers_.at(set);
    if (slot) return *slot;
    // The set's name: the index maps names to sets, so find it there (few names, once per message).
    std::string_view name;
    for (const auto& [n, index] : patterns_.header_index)
        if (index == set) name = n;
    return scan_once(slot, patterns_.headers[set], field_values(state_, name));
}

const PatternHits& MessageScan::any_header() {
    if (any_header_) return *any_header_;
    std::vector<std::string> values;
    if (!patterns_.any_header.empty()) {
        const auto& fields = state_.headers.fields;
        for (std::size_t i = 0; i < fields.size(); ++i) {
            if (state_.firewalled[i]) continue;
            std::string name(field_name(fields[i]));
            std::string raw = unfold(fields[i].value);
            std::string decoded = decode_extended_parameters(decode_encoded_words(raw));
            if (decoded != raw) values.push_back(name + ": " + decoded);
            values.push_back(name + ": " + raw);
        }
    }
    return scan_once(any_header_, patterns_.any_header, values);
}

const PatternHits& MessageScan::body() {
    if (body_) return *body_;
    // The body is the one large value: scanned where it lies, never copied.
    std::string_view text = content_ ? std::string_view(content_->body_text) : std::string_view();
    return scan_once(body_, patterns_.body, std::span(&text, content_ ? 1 : 0));
}

const std::vector<std::size_t>& MessageScan::attachments() {
    if (!attachments_) {
        attachments_.emplace();
        if (content_) {
            for (std::size_t i = 0; i < content_->parts.size(); ++i) {
                const MimePart& p = content_->parts[i];
                if (p.attachment || !p.file_names.empty()) attachments_->push_back(i);
            }
        }
    }
    return *attachments_;
}

const PatternHits& MessageScan::attachment_names(std::size_t part) {
    auto& slot = names_.at(part);
    if (slot) return *slot;
    return scan_once(slot, patterns_.attachment_name, content_->parts[part].file_names);
}

const PatternHits& MessageScan::attachment_type(std::size_t part) {
    auto& slot = types_.at(part);
    if (slot) return *slot;
    std::string_view type = content_->parts[part].content_type;
    return scan_once(slot, patterns_.attachment_type, std::span(&type, 1));
}

const std::vector<std::string>& MessageScan::extensions(std::size_t part) {
    auto& slot = extensions_.at(part);
    if (!slot) {
        slot.emplace();
        for (const auto& name : content_->parts[part].file_names)
            if (std::string ext = file_extension(name); !ext.empty()) slot->push_back(std::move(ext));
    }
    return *slot;
}

namespace {

bool any_decided_hit(const PatternHits& hits, const std::vector<PatternId>& ids) {
    for (PatternId id : ids)
        if (hits.decided(id)) return true;  // matched, or failed
    return false;
}

}  // namespace

bool MessageScan::may_match(const RuleGate& gate) {
    using F = RuleGate::Field;
    switch (gate.field) {
        case F::none: return true;
        case F::subject: return any_decided_hit(subject(), gate.ids);
        case F::header: return any_decided_hit(header(gate.header_set), gate.ids);
        case F::any_header: return any_decided_hit(any_header(), gate.ids);
        case F::body: return !content_ || any_decided_hit(body(), gate.ids);
        case F::attachment_name:
        case F::attachment_type:
            if (!content_) return true;
            for (std::size_t part : attachments()) {
                const PatternHits& hits = gate.field == F::attachment_name ? attachment_names(part) : attachment_type(part);
                if (any_decided_hit(hits, gate.ids)) return true;
            }
            return false;
    }
    return true;
}

std::string file_extension(std::string_view name) {
    while (!name.empty() && (name.back() == '.' || name.back() == ' ')) name.remove_suffix(1);
    auto dot = name.rfind('.');
    if (dot == std::string_view::npos) return "";
    return lower(name.substr(dot + 1));
}

std::string describe_part(const MimePart& part) {
    std::string s = "part " + part.section + " " + part.content_type;
    if (!part.file_names.empty()) s += " name=\"" + printable_text(part.file_names.front()) + "\"";
    return s;
}

}  // namespace mw::policy::detail
