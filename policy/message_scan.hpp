// One message against every transport rule's patterns: each field (the Subject, each header name
// a rule names, all fields together, the body text, each attachment's names and type) is scanned
// once, on first use, by its PatternSet, and the conditions then look their pattern ids up. This is
// what keeps the message stage's cost nearly flat in the number of rules. Internal to policy/.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "policy/engine_internal.hpp"

namespace mw::policy::detail {

class MessageScan {
public:
    // `content` is null when the front door did not inspect the content (the rules did not need
    // it when the session began): content conditions are then Unknown and fail closed.
    MessageScan(const ContentPatterns& patterns, const MessageState& state, const MessageContent* content);

    // Whether the rule whose first condition `gate` is may match: some gate pattern matched, or
    // could not be decided (the full evaluation then fails closed), in its field; always when
    // there is no gate, or the content it needs was not inspected (evaluation says so, and fails).
    bool may_match(const RuleGate& gate);

    const PatternHits& subject();
    const PatternHits& header(std::size_t set);  // ContentPatterns::headers index
    const PatternHits& any_header();
    const MessageContent* content() const { return content_; }
    const PatternHits& body();  // needs content()
    // The parts attachment conditions look at (content()->parts indices): attachments, and any
    // part that carries a file name (a named message/rfc822 or body part too).
    const std::vector<std::size_t>& attachments();
    const PatternHits& attachment_names(std::size_t part);  // by content()->parts index
    const PatternHits& attachment_type(std::size_t part);
    // The part's file names' extensions (file_extension), computed once for every rule that asks.
    const std::vector<std::string>& extensions(std::size_t part);

private:
    const ContentPatterns& patterns_;
    const MessageState& state_;
    const MessageContent* content_;
    std::optional<PatternHits> subject_, any_header_, body_;
    std::vector<std::optional<PatternHits>> headers_;
    std::optional<std::vector<std::size_t>> attachments_;
    std::vector<std::optional<PatternHits>> names_, types_;  // by parts index
    std::vector<std::optional<std::vector<std::string>>> extensions_;
};

// Values of the fields named `name` that arrived and survived the firewall, unfolded: each as
// written and, when it differs, decoded (RFC 2047 words, RFC 2231 parameters), so encoding a
// Subject never slips it past a rule.
std::vector<std::string> field_values(const MessageState& state, std::string_view name);

// A file name's extension as attachment_extension compares it: lower case, after the last dot,
// once trailing dots and spaces are gone (Windows drops them when it saves "evil.exe. "). Empty
// when there is none.
std::string file_extension(std::string_view name);

// "part 2 application/octet-stream name="evil.exe"", for the trace.
std::string describe_part(const MimePart& part);

}  // namespace mw::policy::detail
