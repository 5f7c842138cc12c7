// A next hop that takes every message and keeps each one as a file: Postfix's smtp-sink.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "support/process.hpp"

namespace mw::itest {

struct SmtpSinkOptions {
    std::string address = "127.0.0.1";   // 127.0.0.0/8 only
    std::uint16_t port = 0;              // 0: a free port
    std::vector<std::string> extra_args;  // smtp-sink options, e.g. {"-r", "RCPT"} to tempfail recipients
};

// smtp-sink never offers STARTTLS (it has no TLS code and no option to announce it; observed EHLO:
// PIPELINING, 8BITMIME, AUTH PLAIN LOGIN, XCLIENT, XFORWARD, ENHANCEDSTATUSCODES, DSN), so it is
// also the next hop for "TLS required but not offered" tests. It accepts any AUTH.
class SmtpSink {
public:
    explicit SmtpSink(std::filesystem::path dir, SmtpSinkOptions options = {});

    std::uint16_t port() const { return port_; }
    const std::string& address() const { return options_.address; }
    std::string relayhost() const;
    pid_t pid() const { return process_.pid(); }  // "[127.0.0.1]:PORT", for Postfix's relayhost or a transport

    // Each complete message received so far, oldest first: smtp-sink's own headers (X-Client-Addr,
    // X-Helo-Args, X-Mail-Args, X-Rcpt-Args…, its Received:), then the message as received, with LF
    // line endings.
    std::vector<std::string> messages() const;
    bool wait_count(std::size_t n, std::chrono::milliseconds timeout = 20s) const;
    // The first complete message containing `needle` (e.g. a unique Subject), waiting for it.
    std::optional<std::string> wait_message(std::string_view needle,
                                            std::chrono::milliseconds timeout = 20s) const;
    // smtp-sink's stdout and stderr.
    std::string output() const;

private:
    SmtpSinkOptions options_;
    std::filesystem::path dir_;
    std::filesystem::path dumps_;
    std::uint16_t port_;
    Process process_;
};

}  // namespace mw::itest
