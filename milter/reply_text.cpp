#include "milter/reply_text.hpp"

namespace mw::milter {

namespace {

// "<a@b>: rest" -> "rest"; anything else unchanged.
std::string_view without_address_prefix(std::string_view text) {
    if (text.empty() || text.front() != '<') return text;
    auto close = text.find(">: ");
    if (close == std::string_view::npos || text.substr(1, close - 1).find('>') != std::string_view::npos) return text;
    std::string_view rest = text.substr(close + 3);
    return rest.empty() ? text : rest;
}

}  // namespace

std::string reply_text(policy::Mta mta, int code, std::string_view text) {
    if (mta == policy::Mta::sendmail && (code == 450 || code == 550 || code == 553)) text = without_address_prefix(text);
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        out += c;
        if (c == '%') out += '%';
    }
    return out;
}

}  // namespace mw::milter
