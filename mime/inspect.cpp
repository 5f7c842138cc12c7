// The walk over GMime's tree of a message: one MimePart per entity in document order, the body
// text, and every reason the structure is malformed or over a limit. The walk keeps its own stack
// (no recursion), and computes section numbers only for the parts it records, so a part bomb or a
// deep nesting costs time and memory in proportion to the message, not to its square.
#include "mime/inspect.hpp"

#include <algorithm>
#include <memory>
#include <new>

#include "mime/gmime_ptr.hpp"
#include "mime/parser_warnings.hpp"
#include "mime/part_content.hpp"
#include "mime/structure_guard.hpp"
#include "mime/html_text.hpp"
#include "mime/utf8.hpp"

namespace mw::mime {

namespace {

std::string lower_ascii(const char* text) {
    std::string out = text ? text : "";
    for (char& c : out) c = g_ascii_tolower(c);
    return out;
}

std::string trimmed_lower(const char* text) {
    std::string out = lower_ascii(text);
    const auto first = out.find_first_not_of(" \t\r\n");
    if (first == std::string::npos) return {};
    const auto last = out.find_last_not_of(" \t\r\n");
    return out.substr(first, last - first + 1);
}

// Body text has LF line ends whether the message came with CRLF (SMTP) or LF (a milter's body
// chunks, a file), so that one body_matches pattern fits both.
std::string lf_line_ends(std::string text) {
    std::size_t out = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;
        text[out++] = text[i];
    }
    text.resize(out);
    return text;
}

// One entity still to visit. `prefix` is shared by siblings ("2." for the children of part 2);
// it is null beyond max_parts, where nothing is recorded and no section is needed.
struct Pending {
    GMimeObject* object;
    std::shared_ptr<const std::string> prefix;
    std::string last;  // "1", "2", ... or "TEXT" for the multipart body of a message
    unsigned depth;
};

class BodyText {
public:
    explicit BodyText(policy::MessageContent& content, std::uint64_t max) : content_(content), max_(max) {}
    bool full() const { return content_.body_text_truncated; }
    void add(std::string_view text) {
        std::string& out = content_.body_text;
        if (full()) return;
        const bool separate = !out.empty();
        const std::uint64_t need = text.size() + (separate ? 1 : 0);
        if (out.size() + need <= max_) {
            if (separate) out += '\n';
            out.append(text);
            return;
        }
        content_.body_text_truncated = true;
        if (out.size() + (separate ? 1 : 0) > max_) return;
        if (separate) out += '\n';
        out.append(text.substr(0, utf8_prefix_length(text, max_ - out.size())));
    }

private:
    policy::MessageContent& content_;
    std::uint64_t max_;
};

class Walk {
public:
    Walk(const policy::MimeLimits& limits, policy::MessageContent& content)
        : limits_(limits), content_(content), body_(content, limits.max_body_text) {}

    void run(GMimeMessage* message) {
        std::vector<Pending> stack;
        push_message_body(stack, message, std::make_shared<const std::string>(), 0);
        while (!stack.empty()) {
            Pending next = std::move(stack.back());
            stack.pop_back();
            visit(stack, next);
        }
    }

    bool depth_over = false;
    bool bytes_over = false;
    std::vector<std::string> reasons;      // from the walk, in document order
    EntityOffsets offsets;                 // where each recorded part's headers begin

private:
    // RFC 3501 section 6.4.5: a message's body that is not multipart is its part 1 ("2.1" inside
    // part 2); a multipart body has no number of its own, its children are 1, 2, ... We call it
    // TEXT, the section specifier of exactly that body, so that every recorded part has a name.
    void push_message_body(std::vector<Pending>& stack, GMimeMessage* message,
                           std::shared_ptr<const std::string> prefix, unsigned depth) {
        GMimeObject* body = message ? g_mime_message_get_mime_part(message) : nullptr;
        if (body == nullptr) return;
        stack.push_back({body, std::move(prefix), GMIME_IS_MULTIPART(body) ? "TEXT" : "1", depth});
    }

    void visit(std::vector<Pending>& stack, const Pending& entity) {
        ++content_.part_count;
        if (entity.depth > limits_.max_depth) depth_over = true;
        const bool record = content_.parts.size() < limits_.max_parts;
        std::string section;
        if (record) section = *entity.prefix + entity.last;
        if (!record && offsets.first_unrecorded < 0) offsets.first_unrecorded = header_offset(entity.object);

        if (GMIME_IS_MULTIPART(entity.object)) {
            auto* multipart = GMIME_MULTIPART(entity.object);
            std::shared_ptr<const std::string> prefix;
            if (record) {
                prefix = entity.last == "TEXT" ? entity.prefix : std::make_shared<const std::string>(section + ".");
            }
            const int count = g_mime_multipart_get_count(multipart);
            for (int i = count - 1; i >= 0; --i) {
                stack.push_back({g_mime_multipart_get_part(multipart, i), prefix,
                                 record ? std::to_string(i + 1) : std::string(), entity.depth + 1});
            }
        } else if (GMIME_IS_MESSAGE_PART(entity.object)) {
            GMimeMessage* inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(entity.object));
            push_message_body(stack, inner, record ? std::make_shared<const std::string>(section + ".") : nullptr,
                              entity.depth + 1);
        }
        if (record) content_.parts.push_back(describe(entity, std::move(section)));
    }

    static gint64 header_offset(GMimeObject* object) {
        GMimeHeaderList* headers = g_mime_object_get_header_list(object);
        if (headers == nullptr || g_mime_header_list_get_count(headers) == 0) return -1;
        return g_mime_header_get_offset(g_mime_header_list_get_header_at(headers, 0));
    }

    void reason(const policy::MimePart& part, const char* what) {
        reasons.push_back("part " + part.section + ": " + what);
    }

    policy::MimePart describe(const Pending& entity, std::string section) {
        GMimeObject* object = entity.object;
        policy::MimePart part;
        part.section = std::move(section);
        part.depth = entity.depth;
        offsets.add(header_offset(object), part.section);

        GMimeContentType* type = g_mime_object_get_content_type(object);
        const char* media = type ? g_mime_content_type_get_media_type(type) : nullptr;
        const char* subtype = type ? g_mime_content_type_get_media_subtype(type) : nullptr;
        part.content_type = (media && subtype) ? lower_ascii(media) + "/" + lower_ascii(subtype) : "text/plain";

        GMimeContentDisposition* disposition = g_mime_object_get_content_disposition(object);
        if (disposition) part.disposition = trimmed_lower(g_mime_content_disposition_get_disposition(disposition));
        part.transfer_encoding = trimmed_lower(g_mime_object_get_header(object, "Content-Transfer-Encoding"));

        // GMime has already joined RFC 2231 continuations, converted their charset and decoded
        // RFC 2047 words; a raw 8-bit name may still be in some other charset.
        const char* filename = disposition ? g_mime_content_disposition_get_parameter(disposition, "filename") : nullptr;
        const char* name = type ? g_mime_content_type_get_parameter(type, "name") : nullptr;
        if (filename) part.file_names.push_back(valid_utf8(filename));
        if (name && (!filename || std::string_view(name) != filename)) part.file_names.push_back(valid_utf8(name));

        part.container = GMIME_IS_MULTIPART(object) || GMIME_IS_MESSAGE_PART(object);
        if (GMIME_IS_MULTIPART(object)) {
            const char* boundary = g_mime_object_get_content_type_parameter(object, "boundary");
            if (boundary == nullptr || *boundary == '\0') reason(part, "multipart without boundary");
        }
        if (!part.transfer_encoding.empty() &&
            g_mime_content_encoding_from_string(part.transfer_encoding.c_str()) == GMIME_CONTENT_ENCODING_DEFAULT) {
            reason(part, "unknown Content-Transfer-Encoding");
        }
        const bool text = part.content_type == "text/plain" || part.content_type == "text/html";
        part.attachment = !part.container && (!part.file_names.empty() || part.disposition == "attachment" || !text);
        if (GMIME_IS_PART(object)) {
            // RFC 2046 section 5.2.1: message/rfc822 is 7bit, 8bit or binary only; GMime leaves an
            // encoded one as an opaque leaf, whose attachments would go unseen.
            if (part.content_type == "message/rfc822" || part.content_type == "message/global") {
                reason(part, "encoded message/rfc822");
            }
            read_content(GMIME_PART(object), part, text && !part.attachment);
        }
        return part;
    }

    void read_content(GMimePart* leaf, policy::MimePart& part, bool body_text) {
        GMimeDataWrapper* content = g_mime_part_get_content(leaf);
        if (content == nullptr) return;
        if (g_mime_part_get_content_encoding(leaf) == GMIME_CONTENT_ENCODING_BASE64 &&
            !base64_alphabet_only(content)) {
            reason(part, "base64 content with characters outside the alphabet");
        }
        if (bytes_over) return;  // over max_decoded_bytes: nothing more is decoded
        if (body_text && !body_.full()) {
            const std::string bytes = decoded_bytes(content);
            part.decoded_size = bytes.size();
            const char* charset = g_mime_object_get_content_type_parameter(GMIME_OBJECT(leaf), "charset");
            std::string utf8 = lf_line_ends(to_utf8(bytes, charset));
            body_.add(part.content_type == "text/html" ? html_to_text(utf8) : utf8);
        } else {
            part.decoded_size = decoded_size(content);
        }
        decoded_total_ += part.decoded_size;
        if (decoded_total_ > limits_.max_decoded_bytes) bytes_over = true;
    }

    const policy::MimeLimits& limits_;
    policy::MessageContent& content_;
    BodyText body_;
    std::uint64_t decoded_total_ = 0;
};

// At most this many reasons besides the limits: enough to tell an admin what is wrong, and a
// hostile message cannot grow the list (or the log line it ends up in) without bound.
constexpr std::size_t max_reasons = 20;

void add_reason(std::vector<std::string>& out, std::string reason) {
    if (out.size() >= max_reasons) return;
    if (std::find(out.begin(), out.end(), reason) == out.end()) out.push_back(std::move(reason));
}

}  // namespace

Result<policy::MessageContent> inspect(std::string_view message, const policy::MimeLimits& limits) try {
    ensure_gmime();
    policy::MessageContent content;

    ParserWarnings warnings;
    ParserOptionsPtr options(g_mime_parser_options_new());
    if (!options) return Error{Error::Kind::temporary, "gmime parser options", "out of memory"};
    warnings.attach(options.get());

    // GMime parses only what it can parse within bounded time and memory; parts past the cut are
    // counted (one per boundary line) but not parsed.
    const StructureScan scan = scan_structure(message);
    GObjectPtr<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(message.data(), scan.parse_bytes));
    GObjectPtr<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
    GObjectPtr<GMimeMessage> parsed(g_mime_parser_construct_message(parser.get(), options.get()));

    Walk walk(limits, content);
    walk.run(parsed.get());

    content.part_count += scan.boundary_lines_after;

    std::vector<std::string> reasons;
    if (!parsed) add_reason(reasons, "message: no header block");
    if (!scan.reason.empty()) add_reason(reasons, scan.reason);
    if (walk.depth_over) add_reason(reasons, "nested deeper than " + std::to_string(limits.max_depth) + " levels");
    if (content.part_count > limits.max_parts) {
        add_reason(reasons, "more than " + std::to_string(limits.max_parts) + " MIME parts");
    }
    if (walk.bytes_over) {
        add_reason(reasons, "more than " + std::to_string(limits.max_decoded_bytes) + " decoded bytes");
    }
    for (auto& reason : walk.reasons) add_reason(reasons, std::move(reason));
    for (auto& reason : warnings.reasons(walk.offsets)) add_reason(reasons, std::move(reason));
    content.malformed = std::move(reasons);
    return content;
} catch (const std::bad_alloc&) {
    return Error{Error::Kind::temporary, "mime inspect", "out of memory", ErrorCode::internal};
}

}  // namespace mw::mime
