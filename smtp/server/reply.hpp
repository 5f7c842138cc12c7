// An SMTP reply as the server sends it: code, enhanced status (RFC 3463; empty for 220/221/354
// style replies that carry none), text. Multi-line replies are built by the session.
#pragma once

#include <string>

namespace mw::smtp::server {

struct Reply {
    int code = 250;
    std::string status;  // "2.1.0", or "" when the reply carries no enhanced status
    std::string text;
    // "250 2.1.0 Ok\r\n"
    std::string wire() const;
    bool operator==(const Reply&) const = default;
};

}  // namespace mw::smtp::server
