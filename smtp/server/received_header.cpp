#include "smtp/server/received_header.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>

namespace mw::smtp::server {

namespace {

// RFC 5321 4.1.1.1: a domain name is at most 255 octets; a longer HELO is cut, not copied.
constexpr std::size_t max_helo = 255;

// Control characters would let a client write its own header lines into ours: each becomes '?'.
// Non-ASCII stays (an SMTPUTF8 recipient); `ascii_only` refuses it too (the HELO is a domain).
std::string sanitize(std::string_view text, bool ascii_only, std::size_t limit = std::string::npos) {
    std::string out;
    for (char ch : text.substr(0, std::min(limit, text.size()))) {
        auto c = static_cast<unsigned char>(ch);
        bool bad = c < 0x20 || c == 0x7f || (ascii_only && (c == ' ' || c >= 0x80));
        out += bad ? '?' : ch;
    }
    return out;
}

}  // namespace

std::string protocol_word(const ReceivedInfo& info) {
    if (!info.esmtp) return "SMTP";  // HELO: no extensions, so neither STARTTLS nor AUTH
    // RFC 3848 (ESMTPS, ESMTPA, ESMTPSA) and RFC 6531 3.7.3 (UTF8SMTP, UTF8SMTPS, ...).
    std::string word = info.smtputf8 ? "UTF8SMTP" : "ESMTP";
    if (info.tls) word += 'S';
    if (info.authenticated) word += 'A';
    return word;
}


std::string received_header(const ReceivedInfo& info) {
    std::string helo = sanitize(info.helo, true, max_helo);
    if (helo.empty()) helo = "unknown";
    std::string out = "Received: from " + helo + " (" + sanitize(info.client_name, true) + " [" +
                      sanitize(info.client_address, true) + "])\r\n";
    if (info.tls) {
        out += "\t(using " + sanitize(info.tls_version, true) + " with cipher " + sanitize(info.tls_cipher, true) +
               " (" + std::to_string(info.cipher_bits) + "/" + std::to_string(info.cipher_bits) + " bits))\r\n";
    }
    out += "\tby " + sanitize(info.hostname, true) + " (mailwarden) with " + protocol_word(info) + " id " +
           sanitize(info.queue_id, true);
    // Postfix names the recipient only when there is exactly one, so a Bcc list is never exposed.
    if (info.single_recipient)
        out += "\r\n\tfor <" + sanitize(*info.single_recipient, false) + ">; " + rfc5322_date(info.time) + "\r\n";
    else
        out += ";\r\n\t" + rfc5322_date(info.time) + "\r\n";
    return out;
}

}  // namespace mw::smtp::server
