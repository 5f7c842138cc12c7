// The text of an HTML body for the body_* conditions: what a reader sees, not the markup. Tags and
// comments are dropped, <script> and <style> with their contents, block-level tags become line
// ends, and the character references a phishing text hides words behind are decoded.
#pragma once

#include <string>
#include <string_view>

namespace mw::mime {

// `html` is UTF-8 (the inspection converts it from its charset first). One pass, linear in the
// input: every search for a closing "-->", ">" or "</script" resumes where the last one stopped.
// An unterminated tag or comment drops the rest, as a browser shows nothing of it either.
std::string html_to_text(std::string_view html);

}  // namespace mw::mime
