// What the MIME inspection tests share: running the inspection, the sample messages' common
// headers, and short forms of the results to compare against exact values.
#pragma once

#include <pthread.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "mime/inspect.hpp"

using mw::policy::MessageContent;
using mw::policy::MimeLimits;
using mw::policy::MimePart;

namespace mime_test {

inline MessageContent inspect(const std::string& message, const MimeLimits& limits = {}) {
    auto result = mw::mime::inspect(message, limits);
    BOOST_REQUIRE(result.ok());
    return std::move(result).value();
}

inline std::string crlf(const std::string& lf) {
    std::string out;
    for (char c : lf) {
        if (c == '\n') out += '\r';
        out += c;
    }
    return out;
}

// Runs `command` with its standard output in a temporary file and returns what it wrote.
inline std::string output_of(const std::string& command) {
    const char* tmp = std::getenv("TMPDIR");
    std::string path = std::string(tmp ? tmp : "/tmp") + "/mime-inspect-XXXXXX";
    const int fd = ::mkstemp(path.data());
    BOOST_REQUIRE(fd >= 0);
    ::close(fd);
    const int status = std::system((command + " > '" + path + "' 2>/dev/null").c_str());
    BOOST_REQUIRE_EQUAL(status, 0);
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    std::remove(path.c_str());
    return text.str();
}

inline std::string write_temp(const std::string& name, const std::string& bytes) {
    const char* tmp = std::getenv("TMPDIR");
    const std::string path = std::string(tmp ? tmp : "/tmp") + "/" + name;
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
}

inline std::string sections(const MessageContent& content) {
    std::string out;
    for (const MimePart& part : content.parts) out += (out.empty() ? "" : " ") + part.section;
    return out;
}

inline bool has_reason(const MessageContent& content, const std::string& reason) {
    for (const auto& r : content.malformed) {
        if (r == reason) return true;
    }
    return false;
}

inline std::string reasons(const MessageContent& content) {
    std::string out;
    for (const auto& r : content.malformed) out += r + "; ";
    return out;
}

inline std::vector<std::string> names(std::initializer_list<const char*> list) { return {list.begin(), list.end()}; }

inline const std::string headers = "From: a@example.com\nTo: b@example.com\nSubject: test\nMIME-Version: 1.0\n";

// A multipart/mixed message with a text body and one attachment whose headers are `attachment`.
inline std::string with_attachment(const std::string& attachment, const std::string& content = "TVqQAAMAAAAEAAAA//8AALgAAAA=\n") {
    return headers + "Content-Type: multipart/mixed; boundary=\"b1\"\n\n--b1\nContent-Type: text/plain\n\nhello\n--b1\n" +
           attachment + "\n\n" + content + "--b1--\n";
}

}  // namespace mime_test

