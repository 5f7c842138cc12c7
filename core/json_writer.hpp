// A small streaming JSON writer: enough for `explain --json` and `status --json`, with correct
// string escaping (control characters, quotes, invalid UTF-8 replaced by U+FFFD).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mw {

class JsonWriter {
public:
    JsonWriter& begin_object();
    JsonWriter& end_object();
    JsonWriter& begin_array();
    JsonWriter& end_array();
    JsonWriter& key(std::string_view name);
    JsonWriter& value(std::string_view s);
    JsonWriter& value(const char* s) { return value(std::string_view(s)); }
    JsonWriter& value(std::int64_t n);
    JsonWriter& value(bool b);
    JsonWriter& null();
    JsonWriter& optional(const std::optional<std::string>& s) { return s ? value(*s) : null(); }
    JsonWriter& string_array(const std::vector<std::string>& items);
    const std::string& str() const { return out_; }

private:
    void separate();
    JsonWriter& open(char bracket);   // '{' or '['
    JsonWriter& close(char bracket);  // '}' or ']'

    std::string out_;
    std::vector<bool> first_;  // per open container: nothing written yet
    bool after_key_ = false;
};

std::string json_escape(std::string_view s);

}  // namespace mw
