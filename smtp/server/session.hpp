// One standalone SMTP session (RFC 5321): a coroutine reading commands, checking each against the
// state (docs/conventions.md "Front doors are thin": check, then policy, then proceed), asking the same policy engine as the milter,
// and queueing accepted messages durably before answering 250.
//
// A session pins the rules snapshot it started with, so no transaction sees half old and half new
// rules (docs/design.md decision 1).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "policy/engine.hpp"
#include "smtp/asio.hpp"
#include "smtp/server/command_parser.hpp"
#include "smtp/server/command_stats.hpp"
#include "smtp/server/data_decoder.hpp"
#include "smtp/server/line_reader.hpp"
#include "smtp/server/reply.hpp"
#include "smtp/server/server_context.hpp"
#include "smtp/server/transport.hpp"

namespace mw::smtp::server {

// What a transaction (MAIL .. end of message) carries. At namespace scope, not nested in Session:
// clang cannot default-construct a nested class with member initializers inside std::optional.
struct SessionRecipient {
    Address address;
    RcptTo params;
};
struct SessionTransaction {
    MailFrom mail;
    policy::MailResult policy;
    std::vector<SessionRecipient> recipients;
    // BDAT (RFC 3030): chunks so far, and whether a chunk failed (then every BDAT is refused
    // until RSET).
    bool bdat = false;
    bool bdat_failed = false;
    std::string bdat_content;
    std::uint64_t bdat_size = 0;
    BdatChecker bdat_checker;
};

class Session : public std::enable_shared_from_this<Session> {
public:
    Session(ServerContext& shared, Transport::Socket socket);
    // Runs the session to its end on the socket's strand.
    static void start(ServerContext& shared, Transport::Socket socket);

private:
    using Recipient = SessionRecipient;
    using Transaction = SessionTransaction;
    enum class Flow { proceed, close };

    asio::awaitable<void> run();
    asio::awaitable<Flow> greet();
    asio::awaitable<void> find_client_name();
    asio::awaitable<Flow> dispatch(const Command& command);
    asio::awaitable<Flow> on_helo(const Command& c);
    asio::awaitable<Flow> on_mail(const Command& c);
    asio::awaitable<Flow> on_rcpt(const Command& c);
    asio::awaitable<Flow> on_data();
    asio::awaitable<Flow> on_bdat(const Command& c);
    asio::awaitable<Flow> on_starttls(const Command& c);
    asio::awaitable<Flow> on_auth(const Command& c);
    asio::awaitable<Flow> on_etrn(const Command& c);  // session_etrn.cpp
    // The end of a message (DATA or BDAT LAST): policy, header edits, Received:, queue, reply.
    asio::awaitable<Flow> finish_message(std::string content, std::uint64_t size, bool line_too_long);

    // Reading: a command line, or raw bytes for DATA/BDAT. False: the client went away or timed out.
    asio::awaitable<bool> read_more();
    asio::awaitable<std::optional<std::string>> read_line();  // nullopt: closed (reply already sent)
    // Cancels the socket's pending operation at `deadline`; `inactivity`: it is the client's silence
    // (answered 421 4.4.2), not a write that does not drain.
    void arm_timer(std::chrono::steady_clock::time_point deadline, bool inactivity);
    // Replies are collected and sent when no further pipelined command is waiting (RFC 2920).
    void reply(const Reply& r);
    void reply(const policy::Verdict& v);
    asio::awaitable<void> flush();
    // Counts a protocol error; true when the session has made too many and must end (421 sent).
    bool too_many_errors();
    // Answers a command that failed with `r`, and ends the session when the client has made too many
    // errors (Postfix's smtpd_hard_error_limit).
    Flow refuse(const Reply& r);
    // The server stops (on the session's strand): a session waiting for a command is woken to get
    // 421 4.3.2 now; any other gets it once its command is done (a message being received or
    // queued is finished and acknowledged first).
    void on_stop();
    asio::awaitable<void> tarpit();

    // Facts that change with STARTTLS and AUTH.
    void reset_transaction() { tx_.reset(); }
    bool auth_offered() const;
    bool auth_needs_tls() const;
    bool etrn_offered() const;  // the session has the right etrn (README "ETRN")
    std::string ehlo_reply() const;

    // Logging (session_log.cpp), in Postfix's smtpd shape.
    std::string client_text() const;
    // `to`: the recipients the decision is about; `from`: the sender as written, once MAIL was given.
    void log_decision(std::string_view stage, const policy::Verdict& v, std::vector<std::string> to,
                      std::optional<std::string_view> from = std::nullopt) const;
    void log_event(std::string_view text) const;

    ServerContext& shared_;
    Transport io_;
    asio::steady_timer timer_;
    LineReader reader_;
    std::string output_;
    std::shared_ptr<const policy::Ruleset> rules_;
    policy::SessionFacts facts_;
    policy::ConnectResult connect_;
    std::optional<ConnectionSlots::Slot> slot_;
    std::string client_address_text_;
    bool greeted_ = false;  // HELO or EHLO seen (since the last STARTTLS)
    bool esmtp_ = false;
    std::optional<Transaction> tx_;
    std::string queue_id_;  // of the message being finished, for log lines
    unsigned errors_ = 0;
    unsigned auth_failures_ = 0;
    bool timed_out_ = false;
    bool in_auth_ = false;  // reading a SASL answer, not a command
    // Stopping: `stopping_` once told; `idle_` while waiting for a command line, when the stop may
    // cancel that read; `stop_cut_` when it did.
    bool stopping_ = false;
    bool idle_ = false;
    bool stop_cut_ = false;
    int last_code_ = 0;  // of the last reply: 2xx means the command in progress succeeded
    CommandStats stats_;
    std::optional<SessionRegistry::Entry> registration_;
    std::chrono::steady_clock::time_point session_deadline_;
};

}  // namespace mw::smtp::server
