// A hand-driven SMTP client session for tests that must hold a session open across an event (a
// reload, a daemon stop): send one command, read the reply, at the test's own pace.
#pragma once

#include <cstdint>
#include <chrono>
#include <string>
#include <string_view>

namespace mw::itest {

class SmtpSession {
public:
    // Reads the greeting; throws on failure. `source`: the local address to connect from
    // (127.0.0.0/8), for connectors that match the client's address; "" lets the system choose.
    SmtpSession(const std::string& address, std::uint16_t port, const std::string& source = "");
    ~SmtpSession();
    SmtpSession(const SmtpSession&) = delete;
    SmtpSession& operator=(const SmtpSession&) = delete;

    const std::string& greeting() const { return greeting_; }
    // Sends one line (CRLF added) and returns the whole reply, lines joined by '\n'.
    std::string command(const std::string& line);
    // DATA, the message (LF or CRLF lines; dot-stuffed here), the final dot: the final reply.
    std::string send_data(const std::string& message);
    // Sends bytes exactly as given (no CRLF added, no dot-stuffing): pipelining, BDAT chunks,
    // smuggling attempts.
    void send_raw(std::string_view bytes);
    // The next reply, lines joined by '\n'. Throws when the connection closes first.
    std::string read_reply();
    // True when the server closed the connection (reads until EOF, at most `timeout`).
    bool closed_by_server(std::chrono::milliseconds timeout);

private:
    int fd_ = -1;
    std::string buffer_, greeting_;
};

}  // namespace mw::itest
