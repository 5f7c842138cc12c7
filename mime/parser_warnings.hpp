// What GMime's parser reports about a message's structure (GMime 3.2's warning callback), kept
// when it is serious: a part GMime skipped or read differently from another MIME reader, a
// multipart without its boundary, a nesting GMime stopped parsing. The common blemishes (a repeated
// header, raw 8-bit or a broken RFC 2047 word in a header, a bad address list) are dropped: they
// are everyday mail, not an attempt to hide content.
#pragma once

#include <gmime/gmime.h>

#include <string>
#include <vector>

namespace mw::mime {

// Where each recorded part's headers begin in the message, in document order, to name the part a
// warning's offset falls in.
struct EntityOffsets {
    void add(gint64 offset, const std::string& section);
    // "part 2.1" for the part whose headers begin last at or before `offset`; "message" when the
    // offset is unknown or before the first part; "a part beyond the part limit" past it.
    std::string name_at(gint64 offset) const;

    std::vector<std::pair<gint64, std::string>> starts;
    gint64 first_unrecorded = -1;
};

class ParserWarnings {
public:
    // Sets the callback on `options`; this object must outlive the parse.
    void attach(GMimeParserOptions* options);
    // One reason per serious warning ("part 2: multipart without boundary"), in parse order.
    std::vector<std::string> reasons(const EntityOffsets& offsets) const;

private:
    static void on_warning(gint64 offset, GMimeParserWarning code, const gchar* item, gpointer self);
    struct Warning {
        gint64 offset;
        GMimeParserWarning code;
    };
    std::vector<Warning> warnings_;
};

}  // namespace mw::mime
