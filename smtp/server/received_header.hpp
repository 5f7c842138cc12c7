// The Received: field standalone mode prepends (RFC 5321 4.4, protocol words of RFC 3848 and
// RFC 6531), in the form Postfix writes, so existing parsers read it:
//   Received: from HELO (NAME [ADDR])
//   \t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits))
//   \tby HOST (mailwarden) with ESMTPS id QUEUEID
//   \tfor <rcpt>; Mon, 23 Nov 2026 10:00:00 +0000
// ("for" only with exactly one recipient, as Postfix does).
#pragma once

#include "core/rfc5322_date.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace mw::smtp::server {

struct ReceivedInfo {
    std::string helo;            // as the client gave it (sanitized: non-printables become '?')
    std::string client_name;     // reverse name or "unknown"
    std::string client_address;  // "192.0.2.1" or "IPv6:2001:db8::1"
    std::string hostname;        // ours
    std::string queue_id;
    bool esmtp = true;           // EHLO (else HELO: "SMTP")
    bool tls = false;
    bool authenticated = false;
    bool smtputf8 = false;       // UTF8SMTP / UTF8SMTPS / UTF8SMTPA / UTF8SMTPSA
    std::string tls_version;
    std::string tls_cipher;
    int cipher_bits = 0;
    std::optional<std::string> single_recipient;
    std::int64_t time = 0;       // unix seconds, printed as RFC 5322 date-time in UTC
};

// The whole field, "Received: ...\r\n", folded as above.
std::string received_header(const ReceivedInfo& info);
// The protocol word alone ("ESMTPSA").
std::string protocol_word(const ReceivedInfo& info);
using mw::rfc5322_date;  // core/rfc5322_date.hpp

}  // namespace mw::smtp::server
