// Why a TLS handshake failed, in the words the log uses on both sides (the server's STARTTLS and the
// delivery client's): OpenSSL's error string with its reason ("error:0A0000C1:SSL routines::no
// shared cipher"; an alert the peer sent is such a reason: "...:tlsv1 alert unknown ca"), "timed
// out" when our timer cancelled it, else the system's words ("Connection reset by peer").
#pragma once

#include <string>

#include "smtp/asio.hpp"

namespace mw::smtp {

std::string handshake_error_text(const boost::system::error_code& ec);

}  // namespace mw::smtp
