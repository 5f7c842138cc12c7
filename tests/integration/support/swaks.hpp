// An SMTP client for tests: swaks, with helpers that pick the server's reply to one command out of
// the transcript, since tests assert exact reply codes and texts.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mw::itest {

struct SwaksOptions {
    std::string server = "127.0.0.1";
    std::uint16_t port = 25;
    std::string from = "sender@outside.example";
    std::vector<std::string> to;        // one RCPT each
    std::string helo = "client.example";  // swaks's default would be this machine's host name
    bool tls = false;                   // STARTTLS; swaks exits 29 when it is not offered
    std::filesystem::path tls_cert;     // client certificate; a Cert::pem serves as both cert and key
    std::filesystem::path tls_key;
    std::string auth;                   // mechanism, e.g. "PLAIN"; empty: no AUTH
    std::string auth_user;
    std::string auth_password;
    std::string xclient_addr;           // --xclient-addr: pose as this client (Postfix XCLIENT)
    std::vector<std::string> xclient;   // raw --xclient attributes, e.g. "LOGIN=kid1"
    std::vector<std::string> headers;      // "Name: value": --header, replaces swaks's header of that name
    std::vector<std::string> add_headers;  // "Name: value": --add-header, appended (duplicates allowed)
    std::optional<std::string> body;
    std::optional<std::string> data;    // the whole message instead of swaks's template (headers,
                                        // empty line, body; swaks adds the final dot)
    std::string quit_after;             // e.g. "RCPT": stop after that stage's reply
    std::chrono::seconds timeout{20};   // per SMTP transaction step
    std::vector<std::string> extra_args;  // any other swaks option
};

struct SwaksResult {
    // swaks's exit status: 0 success, 2 cannot connect, 23 MAIL refused, 24 no RCPT accepted,
    // 25 DATA refused, 26 message refused after the final dot, 28 AUTH failed, 29 TLS failed,
    // 33 XCLIENT refused.
    int status = -1;
    std::string transcript;  // swaks's stdout and stderr, interleaved as written

    // The server's reply to the first client line that starts with `command` (case-insensitive),
    // without swaks's markers; the lines of a multi-line reply joined by '\n'. Empty if the command
    // was never sent. reply_to("RCPT TO:<x@y>") → "554 5.7.1 <x@y>: Relay access denied".
    std::string reply_to(std::string_view command) const;
    std::string mail_reply() const { return reply_to("MAIL FROM:"); }
    std::string rcpt_reply(std::string_view address) const;  // reply to RCPT TO:<address>
    std::string data_reply() const { return reply_to("DATA"); }
    std::string end_of_data_reply() const;  // the reply to the final "."
    std::string starttls_reply() const { return reply_to("STARTTLS"); }
    std::string auth_reply() const;  // the final reply of the AUTH exchange (after any 334 steps)
    std::string queue_id() const;    // from "250 2.0.0 Ok: queued as ID"; empty if none
};

SwaksResult swaks(const SwaksOptions& options);

}  // namespace mw::itest
