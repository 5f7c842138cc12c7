// A small JSON reader for tests: parses `explain --json` output so tests assert on structure, not
// on substrings. Throws std::runtime_error on malformed JSON (which fails the test).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace mw::test {

class Json {
public:
    using Array = std::vector<Json>;
    using Object = std::map<std::string, Json>;

    static Json parse(std::string_view text);

    bool is_null() const { return std::holds_alternative<std::monostate>(v_); }
    const std::string& str() const { return get<std::string>("string"); }
    double num() const { return get<double>("number"); }
    bool boolean() const { return get<bool>("boolean"); }
    const Array& arr() const { return get<Array>("array"); }
    const Object& obj() const { return get<Object>("object"); }
    const Json& operator[](const std::string& key) const {
        auto& o = obj();
        auto it = o.find(key);
        if (it == o.end()) throw std::runtime_error("JSON object has no key '" + key + "'");
        return it->second;
    }
    const Json& operator[](std::size_t i) const {
        auto& a = arr();
        if (i >= a.size()) throw std::runtime_error("JSON array index out of range");
        return a[i];
    }
    bool has(const std::string& key) const { return obj().count(key) != 0; }
    std::vector<std::string> strings() const {
        std::vector<std::string> out;
        for (const auto& item : arr()) out.push_back(item.str());
        return out;
    }

private:
    template <typename T>
    const T& get(const char* what) const {
        if (auto p = std::get_if<T>(&v_)) return *p;
        throw std::runtime_error(std::string("JSON value is not a ") + what);
    }
    std::variant<std::monostate, bool, double, std::string, Array, Object> v_;
    friend class JsonParser;
};

class JsonParser {
public:
    explicit JsonParser(std::string_view s) : s_(s) {}
    Json document() {
        Json j = value();
        ws();
        if (i_ != s_.size()) fail("trailing characters");
        return j;
    }

private:
    [[noreturn]] void fail(const std::string& what) {
        throw std::runtime_error("bad JSON at offset " + std::to_string(i_) + ": " + what);
    }
    void ws() {
        while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\r' || s_[i_] == '\t')) ++i_;
    }
    bool eat(char c) {
        ws();
        if (i_ < s_.size() && s_[i_] == c) {
            ++i_;
            return true;
        }
        return false;
    }
    void expect(char c) {
        if (!eat(c)) fail(std::string("expected '") + c + "'");
    }
    bool literal(std::string_view word) {
        if (s_.substr(i_, word.size()) == word) {
            i_ += word.size();
            return true;
        }
        return false;
    }
    std::string string() {
        expect('"');
        std::string out;
        while (true) {
            if (i_ >= s_.size()) fail("unterminated string");
            char c = s_[i_++];
            if (c == '"') return out;
            if (static_cast<unsigned char>(c) < 0x20) fail("control character in string");
            if (c != '\\') {
                out += c;
                continue;
            }
            if (i_ >= s_.size()) fail("bad escape");
            char e = s_[i_++];
            switch (e) {
                case '"': out += '"'; break;
                case '\\': out += '\\'; break;
                case '/': out += '/'; break;
                case 'b': out += '\b'; break;
                case 'f': out += '\f'; break;
                case 'n': out += '\n'; break;
                case 'r': out += '\r'; break;
                case 't': out += '\t'; break;
                case 'u': {
                    if (i_ + 4 > s_.size()) fail("bad \\u escape");
                    unsigned cp = std::stoul(std::string(s_.substr(i_, 4)), nullptr, 16);
                    i_ += 4;
                    if (cp < 0x80) {
                        out += static_cast<char>(cp);
                    } else if (cp < 0x800) {
                        out += static_cast<char>(0xC0 | (cp >> 6));
                        out += static_cast<char>(0x80 | (cp & 0x3F));
                    } else {
                        out += static_cast<char>(0xE0 | (cp >> 12));
                        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
                        out += static_cast<char>(0x80 | (cp & 0x3F));
                    }
                    break;
                }
                default: fail("bad escape");
            }
        }
    }
    Json value() {
        ws();
        Json j;
        if (i_ >= s_.size()) fail("unexpected end");
        char c = s_[i_];
        if (c == '{') {
            ++i_;
            Json::Object o;
            if (!eat('}')) {
                do {
                    ws();
                    std::string k = string();
                    expect(':');
                    o[k] = value();
                } while (eat(','));
                expect('}');
            }
            j.v_ = std::move(o);
        } else if (c == '[') {
            ++i_;
            Json::Array a;
            if (!eat(']')) {
                do a.push_back(value());
                while (eat(','));
                expect(']');
            }
            j.v_ = std::move(a);
        } else if (c == '"') {
            j.v_ = string();
        } else if (literal("true")) {
            j.v_ = true;
        } else if (literal("false")) {
            j.v_ = false;
        } else if (literal("null")) {
            j.v_ = std::monostate{};
        } else {
            std::size_t start = i_;
            while (i_ < s_.size() && std::string_view("+-0123456789.eE").find(s_[i_]) != std::string_view::npos) ++i_;
            if (start == i_) fail("unexpected character");
            j.v_ = std::stod(std::string(s_.substr(start, i_ - start)));
        }
        return j;
    }
    std::string_view s_;
    std::size_t i_ = 0;
};

inline Json Json::parse(std::string_view text) { return JsonParser(text).document(); }

}  // namespace mw::test
