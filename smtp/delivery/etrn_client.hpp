// The client side of ETRN (RFC 1985; README "ETRN"): a send connector's `etrn` makes us ask its
// server to deliver the mail it holds for our domains. One session per request: EHLO (HELO when
// EHLO is refused), one ETRN per domain, QUIT; every answer goes to the log.
//
// EtrnRequester asks at start, every `every`, and whenever mail leaves through the connector
// (Exchange 2003's "Request ETRN/TURN when sending messages" and "at specified times"). It reads
// the connectors from the rules in force at each request, so a reload changes them.
//
// Threads: one of its own; sent_through() may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "policy/ruleset.hpp"
#include "smtp/asio.hpp"

namespace mw::smtp::delivery {

struct EtrnClientConfig {
    std::string helo_name = "localhost";  // [organization] hostname
    std::chrono::milliseconds connect_timeout{30'000};
    std::chrono::milliseconds command_timeout{300'000};  // each reply
};

// One ETRN session for `connector`'s request on `io` (run until the session ends). Returns the
// log lines: "ETRN example.com to [192.0.2.1]:25 (send connector Partner): 250 Queuing started",
// or why no ETRN was answered ("... : connect: Connection refused"). Never throws but std::bad_alloc.
std::vector<std::string> request_etrn(asio::io_context& io, const policy::SendConnector& connector,
                                      const EtrnClientConfig& config);

class EtrnRequester {
public:
    using LogFunction = std::function<void(const std::string&)>;
    using RulesSnapshot = std::function<std::shared_ptr<const policy::Ruleset>()>;

    EtrnRequester(RulesSnapshot rules, EtrnClientConfig config, LogFunction log);
    ~EtrnRequester();  // stop()
    void start();
    void stop();  // a session under way is cut
    // Mail left through this send connector: ask its etrn server now (requests coalesce).
    void sent_through(const std::string& send_connector);

private:
    void run();
    RulesSnapshot rules_;
    EtrnClientConfig config_;
    LogFunction log_;
    asio::io_context io_;
    std::mutex mutex_;
    std::condition_variable cv_;
    bool stopping_ = false;
    std::set<std::string> asked_;  // connectors to ask now
    std::map<std::string, std::chrono::steady_clock::time_point> next_;  // per connector
    std::map<std::string, std::chrono::steady_clock::time_point> last_;  // per connector: the last request mail sent through it made
    std::atomic<bool> finished_{false};  // run() has returned
    std::thread thread_;
};

}  // namespace mw::smtp::delivery
