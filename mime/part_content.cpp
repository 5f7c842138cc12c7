#include "mime/part_content.hpp"

#include <array>
#include <cstring>

#include "mime/gmime_ptr.hpp"
#include "mime/utf8.hpp"

namespace mw::mime {

std::uint64_t decoded_size(GMimeDataWrapper* content) {
    GObjectPtr<GMimeStream> sink(g_mime_stream_null_new());
    if (g_mime_data_wrapper_write_to_stream(content, sink.get()) < 0) return 0;
    return reinterpret_cast<GMimeStreamNull*>(sink.get())->written;
}

std::string decoded_bytes(GMimeDataWrapper* content) {
    GObjectPtr<GMimeStream> sink(g_mime_stream_mem_new());
    g_mime_data_wrapper_write_to_stream(content, sink.get());
    GByteArray* bytes = g_mime_stream_mem_get_byte_array(reinterpret_cast<GMimeStreamMem*>(sink.get()));
    return std::string(reinterpret_cast<const char*>(bytes->data), bytes->len);
}

namespace {

bool is_passthrough(const char* charset) {
    return charset == nullptr || *charset == '\0' || g_ascii_strcasecmp(charset, "us-ascii") == 0 ||
           g_ascii_strcasecmp(charset, "utf-8") == 0 || g_ascii_strcasecmp(charset, "utf8") == 0;
}

}  // namespace

std::string to_utf8(std::string_view bytes, const char* charset) {
    // US-ASCII is a subset of UTF-8, and 8-bit bytes in a part that declares none (or ASCII) are
    // in practice UTF-8 far more often than anything else: pass them and repair what is not.
    if (is_passthrough(charset) || bytes.empty()) return valid_utf8(bytes);
    GObjectPtr<GMimeFilter> filter(g_mime_filter_charset_new(charset, "UTF-8"));
    if (!filter) return valid_utf8(bytes);
    GObjectPtr<GMimeStream> sink(g_mime_stream_mem_new());
    GObjectPtr<GMimeStream> converter(g_mime_stream_filter_new(sink.get()));
    g_mime_stream_filter_add(reinterpret_cast<GMimeStreamFilter*>(converter.get()), filter.get());
    g_mime_stream_write(converter.get(), bytes.data(), bytes.size());
    g_mime_stream_flush(converter.get());  // the filter's complete(): a sequence held back at the end
    GByteArray* out = g_mime_stream_mem_get_byte_array(reinterpret_cast<GMimeStreamMem*>(sink.get()));
    return valid_utf8(std::string_view(reinterpret_cast<const char*>(out->data), out->len));
}

bool base64_alphabet_only(GMimeDataWrapper* content) {
    GMimeStream* raw = g_mime_data_wrapper_get_stream(content);
    if (raw == nullptr) return true;
    static const auto allowed = [] {
        std::array<bool, 256> table{};
        for (unsigned char c : std::string_view(
                 "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/= \t\r\n")) {
            table[c] = true;
        }
        return table;
    }();
    g_mime_stream_reset(raw);
    std::array<char, 4096> buffer;
    bool ok = true;
    for (;;) {
        const auto n = g_mime_stream_read(raw, buffer.data(), buffer.size());
        if (n <= 0) break;
        for (gssize i = 0; i < n && ok; ++i) ok = allowed[static_cast<unsigned char>(buffer[i])];
        if (!ok) break;
    }
    g_mime_stream_reset(raw);
    return ok;
}

}  // namespace mw::mime
