// Postfix's socketmap protocol (socketmap_table(5)) for the tables mailwarden serves: one netstring
// request "NAME KEY", one netstring reply "OK data", "NOTFOUND ", "TEMP reason" or "PERM reason".
//   transport  -> transport_maps       = socketmap:unix:mailwarden/socketmap.sock:transport
//   tlspolicy  -> smtp_tls_policy_maps = socketmap:unix:mailwarden/socketmap.sock:tlspolicy
// The socket is unauthenticated: replies never carry secrets (postfix/postfix_maps.hpp).
#pragma once

#include <string>
#include <string_view>

#include "postfix/postfix_maps.hpp"
#include "policy/ruleset.hpp"

namespace mw::postfix {

// One lookup, answered and described for the daemon's log (one line per lookup).
struct SocketmapExchange {
    std::string reply;  // the reply payload, to send as a netstring; at most socketmap_max_reply bytes
    std::string map;    // the table name as sent; "" when the request was malformed
    std::string key;    // the key as sent (keys keep their case)
    // "socketmap transport 'Bob@Example.NET' -> OK smtp:[192.0.2.1]:25": control bytes escaped
    // and the key shortened, so a hostile request cannot forge or flood log lines.
    std::string describe() const;
};

// Answers one request payload. A request without a space: "PERM malformed request"; an unknown
// table: "PERM unknown map NAME" (NAME with unprintable bytes replaced). Never throws: a failure
// answers "TEMP internal error", and Postfix defers the message.
SocketmapExchange answer_socketmap_request(const policy::Ruleset& rules, std::string_view request) noexcept;

// A lookup answer as a reply payload: "OK data", "NOTFOUND ", "TEMP reason", "PERM reason".
std::string socketmap_reply(const MapAnswer& answer);

}  // namespace mw::postfix
