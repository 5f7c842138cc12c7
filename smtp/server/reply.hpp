// An SMTP reply as the server sends it: core's SmtpReply (code, enhanced status, text; wire() gives
// "250 2.1.0 Ok\r\n"). Multi-line replies are built by the session.
#pragma once

#include "core/smtp_reply.hpp"

namespace mw::smtp::server {

using Reply = SmtpReply;

}  // namespace mw::smtp::server
