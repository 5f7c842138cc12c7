// The Postfix SMTP access policy delegation protocol (SMTPD_POLICY_README), wire format only.
//
// A request is a list of `name=value` lines, each ending in LF, closed by an empty line; the reply
// is `action=WHAT`, LF, and an empty line. Postfix keeps the connection open and sends further
// requests on it, and a read may return half a request or several, so the reader is incremental:
// the daemon feeds whatever bytes a read returned and pops the complete requests, in order.
//
// Only Postfix's smtpd talks to this socket, but the socket is the one way certificate
// fingerprints reach mailwarden in Postfix mode: a peer that breaks the format or the limits gets
// no answer, the connection is closed (Postfix then applies smtpd_policy_service_default_action,
// 451 4.3.5, which fails closed).
#pragma once

#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mw::postfix {

// One request's attributes in arrival order. Postfix sends each name once; the reader refuses a
// repeated name, since two `recipient=` lines leave no right answer to which one is judged.
class Attributes {
public:
    using Item = std::pair<std::string, std::string>;

    // The value, or null when the attribute is absent.
    const std::string* find(std::string_view name) const;
    // The value, or "" when absent: Postfix sends unknown facts as empty values anyway, so most
    // callers need not tell the two apart.
    std::string_view get(std::string_view name) const;
    // False (and nothing added) when `name` is already present.
    bool add(std::string name, std::string value);

    std::size_t size() const { return items_.size(); }
    bool empty() const { return items_.empty(); }
    const std::vector<Item>& items() const { return items_; }

private:
    std::vector<Item> items_;
};

// Postfix's own requests are about 1 KiB with ~30 attributes; the limits leave ample room for long
// certificate names and recipients while keeping what one connection can make us hold small.
struct PolicyLimits {
    std::size_t max_attributes = 100;
    std::size_t max_request_bytes = 64 * 1024;  // all lines of one request, line ends included
    std::size_t max_line_bytes = 4 * 1024;      // one line without its LF
    // Postfix waits for each reply before it sends the next request, so a backlog of complete
    // requests is not Postfix; the bound keeps one huge feed from queueing thousands of them.
    std::size_t max_pending_requests = 32;
};

class PolicyRequestReader {
public:
    explicit PolicyRequestReader(PolicyLimits limits = {});

    // Consumes bytes as they arrived. Returns false once the stream is broken (a limit exceeded, a
    // line without '=', an empty name, a NUL byte, a repeated name, too many requests not yet popped); error() says why, and the
    // caller logs it and closes the connection. Requests completed before the error can still be
    // popped and answered; bytes fed after an error are ignored.
    bool feed(std::string_view bytes);

    // The oldest complete request not yet popped.
    std::optional<Attributes> pop();

    bool failed() const { return !error_.empty(); }
    const std::string& error() const { return error_; }
    // True when no request is half-read: a close by the peer now loses nothing.
    bool idle() const { return partial_.empty() && current_.empty() && current_bytes_ == 0; }

private:
    void take_line(std::string_view line);
    void fail(std::string why);

    PolicyLimits limits_;
    std::string partial_;           // the unfinished last line
    Attributes current_;            // the unfinished request
    std::size_t current_bytes_ = 0;
    std::deque<Attributes> ready_;  // complete requests, oldest first
    std::string error_;
};

// `action=ACTION` LF LF. The action is ours ("OK", "DUNNO", a reply text); CR, LF and NUL in it
// become spaces so that a reply can never end early or smuggle a second attribute.
std::string format_policy_reply(std::string_view action);

}  // namespace mw::postfix
