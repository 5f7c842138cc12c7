// libFuzzer target: the MIME inspection (GMime underneath). Hostile input must never crash it or
// make it fail, and what it hands the rules must keep its promises: body text is valid UTF-8 and
// within max_body_text, no more parts recorded than max_parts, every entity counted, every
// recorded part named. Small limits, so the limit paths run often.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mime/inspect.hpp"
#include "mime/utf8.hpp"

namespace {

void fail(const char* what) {
    std::fprintf(stderr, "invariant broken: %s\n", what);
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    mw::policy::MimeLimits limits;
    limits.max_depth = 4;
    limits.max_parts = 16;
    limits.max_decoded_bytes = 4096;
    limits.max_body_text = 256;

    auto result = mw::mime::inspect(input, limits);
    if (!result.ok()) fail("inspect returned an error");
    const auto& content = *result;
    if (mw::mime::valid_utf8(content.body_text) != content.body_text) fail("body_text is not valid UTF-8");
    if (content.body_text.size() > limits.max_body_text) fail("body_text over max_body_text");
    if (content.parts.size() > limits.max_parts) fail("more parts recorded than max_parts");
    if (content.part_count < content.parts.size()) fail("part_count below the parts recorded");
    if (content.part_count > limits.max_parts && content.malformed.empty()) fail("part limit not reported");
    if (content.malformed.size() > 24) fail("reason list not capped");
    for (const auto& part : content.parts) {
        if (part.section.empty()) fail("a part without a section");
        if (part.content_type.find('/') == std::string::npos) fail("content type without a subtype");
        if (part.container && part.attachment) fail("a container marked as attachment");
        for (const auto& name : part.file_names) {
            if (mw::mime::valid_utf8(name) != name) fail("file name is not valid UTF-8");
        }
    }
    return 0;
}
