#include "postfix/socketmap_protocol.hpp"

#include "frontdoor/decision_log.hpp"
#include "postfix/netstring.hpp"
#include "core/quote_text.hpp"

namespace mw::postfix {

namespace {

// A table name reflected in a PERM reason: Postfix logs the reason, so only printable ASCII, and
// not more than a name needs.
std::string printable_name(std::string_view name) {
    constexpr std::size_t max_name = 64;
    std::string out;
    for (unsigned char c : name.substr(0, max_name)) out += c > 0x20 && c < 0x7f ? static_cast<char>(c) : '?';
    return out;
}

SocketmapExchange answer(const policy::Ruleset& rules, std::string_view request) {
    SocketmapExchange x;
    auto space = request.find(' ');
    if (space == std::string_view::npos || space == 0) {
        x.key = std::string(request);
        x.reply = "PERM malformed request";
        return x;
    }
    x.map = std::string(request.substr(0, space));
    x.key = std::string(request.substr(space + 1));
    if (x.map == "transport") {
        x.reply = socketmap_reply(lookup_transport(rules, x.key));
    } else if (x.map == "tlspolicy") {
        x.reply = socketmap_reply(lookup_tls_policy(rules, x.key));
    } else {
        x.reply = "PERM unknown map " + printable_name(x.map);
    }
    // Our answers are short; one that is not would be cut by Postfix, so refuse it whole.
    if (x.reply.size() > socketmap_max_reply) x.reply = "TEMP reply too long";
    return x;
}

}  // namespace

std::string socketmap_reply(const MapAnswer& a) {
    // NOTFOUND carries no data but keeps its space, as socketmap_table(5) writes it.
    return std::string(to_string(a.status)) + " " + a.data;
}

SocketmapExchange answer_socketmap_request(const policy::Ruleset& rules, std::string_view request) noexcept {
    try {
        return answer(rules, request);
    } catch (...) {
        SocketmapExchange x;
        x.reply = "TEMP internal error";
        return x;
    }
}

std::string SocketmapExchange::describe() const {
    constexpr std::size_t max_key = 256;
    std::string k(std::string_view(key).substr(0, max_key));
    if (key.size() > max_key) k += "...";
    // The one decision format (frontdoor/decision_log.hpp). The reply is ours: printable, with any
    // reflected table name already made printable.
    frontdoor::Decision d;
    d.action = "lookup";
    d.stage = "SOCKETMAP";
    d.client = "postfix";
    d.reply = reply;
    d.extra.emplace_back("map", map.empty() ? std::string("(malformed)") : printable_name(map));
    d.extra.emplace_back("key", k);
    return frontdoor::format(d);
}

}  // namespace mw::postfix
