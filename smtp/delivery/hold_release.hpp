// Which held messages an ETRN (or `queue flush DOMAIN`) released, each for one delivery attempt
// (README "ETRN"): a send connector with `hold` keeps its mail until then, and a message whose
// released attempt fails waits for the next ETRN again, as Postfix's fast flush does.
//
// Threads: any; the delivery agent's workers ask, the SMTP server's ETRN releases.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace mw::smtp::delivery {

class HoldRelease {
public:
    // Message `id`'s recipients in `domain` (and its subdomains with `subdomains`; normalized) may go
    // at its next attempt. Releases older than a day are forgotten here (their messages are long
    // gone or waiting for another ETRN).
    void release(const std::string& id, std::string domain, bool subdomains, std::int64_t now);
    // Whether a recipient in `domain` (normalized) of message `id` was released.
    bool released(const std::string& id, std::string_view domain) const;
    // A mark to take before an attempt starts, for used().
    std::uint64_t mark() const;
    // The attempt that started at `mark` was made: the releases it saw are used up (a release that
    // came while it ran is kept for the next attempt).
    void used(const std::string& id, std::uint64_t mark);
    // Whether a release of message `id` is still unused: after used(), one that came while the
    // attempt ran, which must not be overwritten by that attempt's next retry time.
    bool pending(const std::string& id) const;

private:
    struct Entry {
        std::string domain;
        bool subdomains = false;
        std::int64_t at = 0;
        std::uint64_t sequence = 0;
    };
    std::uint64_t sequence_ = 0;
    mutable std::mutex mutex_;
    std::multimap<std::string, Entry, std::less<>> entries_;
};

// `domain` is `node`, or with `subdomains` a subdomain of it (both normalized).
bool in_node(std::string_view domain, std::string_view node, bool subdomains);

}  // namespace mw::smtp::delivery
