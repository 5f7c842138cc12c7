#include "frontdoor/message_content.hpp"

#include "core/quote_text.hpp"
#include "mime/inspect.hpp"

namespace mw::frontdoor {

Result<std::optional<policy::MessageContent>> inspect_content(const policy::Ruleset& rules, std::string_view message) {
    if (!rules.needs_content) return std::optional<policy::MessageContent>();
    auto content = mime::inspect(message, rules.mime);
    if (!content) return content.error();
    return std::optional<policy::MessageContent>(std::move(*content));
}

std::string assemble_message(const policy::HeaderFacts& headers, std::string_view body) {
    std::string out;
    std::size_t size = body.size() + 2;
    for (const auto& f : headers.fields) size += f.name.size() + f.value.size() + 4;
    out.reserve(size);
    for (const auto& f : headers.fields) {
        // The MTAs pass the value without the space after the colon (Postfix) or with it (Sendmail
        // keeps leading white space); either way one space separates them here.
        out += f.name;
        out += ':';
        if (f.value.empty() || (f.value.front() != ' ' && f.value.front() != '\t')) out += ' ';
        out += f.value;
        out += "\r\n";
    }
    out += "\r\n";
    out += body;
    return out;
}

std::string malformed_line(const std::optional<policy::MessageContent>& content, std::string_view queue_id,
                           std::string_view client) {
    if (!content || content->malformed.empty()) return "";
    std::string why;
    for (const auto& reason : content->malformed) {
        if (!why.empty()) why += "; ";
        why += reason;
    }
    return "warning: " + std::string(queue_id.empty() ? "NOQUEUE" : queue_id) + ": malformed MIME from " +
           std::string(client) + ": " + printable_text(why);
}

}  // namespace mw::frontdoor
