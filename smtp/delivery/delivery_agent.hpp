// Delivery for standalone mode: takes due messages from the queue and hands each recipient to the
// courier of its route (courier.hpp): for local recipients Maildir (one folder tree per user under
// `[delivery] maildir`) or an LMTP server (`[delivery] lmtp`, e.g. Dovecot), as courier_setup.cpp
// decides. Per recipient: success -> delivered; temporary failure -> retried on a schedule (and a
// delay DSN after `delay_warning`, a bounce after `queue_lifetime`); permanent failure -> a DSN bounce
// to the sender (RFC 3464), never for the null sender. A route without a courier keeps its
// recipients queued.
//
// Threads: a dispatcher takes due messages from the queue and hands each to one of `workers`
// workers; a message is never in two workers at once, and each worker reads it afresh from the
// queue before delivering it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "policy/ruleset.hpp"
#include "smtp/delivery/courier.hpp"
#include "smtp/queue/queue.hpp"

namespace mw::smtp::delivery {

struct DeliveryConfig {
    // The couriers' settings (courier_setup.hpp), for the constructor that builds them:
    std::string maildir = "/var/mail/{domain}/{user}/";  // used when lmtp is empty
    std::string lmtp;                                     // "unix:/path" or "inet:host:port"
    std::int64_t queue_lifetime_s = 5 * 86400;
    std::int64_t delay_warning_s = 4 * 3600;              // 0: no delay warnings
    std::string hostname;                                 // [organization] hostname: bounces come from
                                                          // MAILER-DAEMON@hostname, LHLO uses it
    // Retries after a temporary failure: retry_initial_s, doubling per attempt, at most retry_max_s.
    std::int64_t retry_initial_s = 300;
    std::int64_t retry_max_s = 3600;
    // Instead, fixed intervals (`[delivery] retry`, Exchange's way): the first retry after the
    // first, the second after the second, ..., the last repeated. Empty: the backoff above.
    std::vector<std::int64_t> retry_intervals_s;
    // How often a message whose pending recipients are all remote is looked at again (they wait
    // for outbound delivery; only expiry and the delay warning can change their state).
    std::int64_t remote_retry_s = 3600;
    std::size_t batch = 32;                               // messages taken per queue.due() call
    // Messages delivered at the same time, each by a worker of its own. Mail with no local
    // recipient may take all but one of them, so a slow outbound destination (or a resolver that
    // does not answer) never holds up local delivery.
    std::size_t workers = 8;
    std::int64_t poll_interval_ms = 1000;                 // look at the queue this often unwoken
    std::function<std::int64_t()> clock;                  // unix seconds; empty: the system clock
                                                          // (tests move time forward)
    // Called with a send connector's name after mail was handed to the outbound courier through it
    // (a connector's `etrn` asks its server for our mail then too). Empty: nobody is told.
    std::function<void(const std::string& send_connector)> sent_through;
};

// Log lines go through this (one per delivery decision, Postfix style:
// "QUEUEID: to=<rcpt>, relay=local, delay=0.12, dsn=2.0.0, status=sent (delivered to maildir)").
using LogFunction = std::function<void(const std::string& line)>;
using RulesSnapshot = std::function<std::shared_ptr<const policy::Ruleset>()>;

class DeliveryAgent {
public:
    DeliveryAgent(queue::Queue& queue, RulesSnapshot rules, DeliveryConfig config, Couriers couriers, LogFunction log);
    // The couriers make_couriers(config) builds.
    DeliveryAgent(queue::Queue& queue, RulesSnapshot rules, DeliveryConfig config, LogFunction log);
    ~DeliveryAgent();  // stops and joins
    void start();      // starts the dispatcher and the workers
    void stop();
    void wake();       // new mail was queued, or `queue flush`: look at the queue now
    // `queue flush` or an ETRN: the couriers forget failing servers (Courier::forget_failures).
    void forget_failures();
    // ETRN or `queue flush DOMAIN` (README "ETRN"): every active message with a recipient pending
    // in `domain` (with `subdomains`, also in its subdomains) is due now, and mail a send
    // connector's `hold` keeps goes at that one attempt. The number of messages; an Error when the
    // queue cannot be read or scheduled.
    Result<std::size_t> flush_domain(const std::string& domain, bool subdomains);

private:
    struct State;
    std::unique_ptr<State> state_;
};

}  // namespace mw::smtp::delivery
