// The session loop: greeting, reading command lines, dispatch, replies, timeouts, error limits.
#include "smtp/server/session.hpp"

#include "core/quote_text.hpp"
#include "smtp/dns/reverse_lookup.hpp"

#include <algorithm>

namespace mw::smtp::server {

namespace {

// RFC 5321 4.5.3.2: servers should allow at least 5 minutes for commands; the connector's
// inactivity_timeout decides. Postfix's smtpd_hard_error_limit is 20; so is ours.
constexpr unsigned hard_error_limit = 20;
constexpr std::chrono::seconds final_reply_timeout{10};
// The PTR lookup and its forward confirmation together: a slow DNS costs the client its name, not
// its connection (Postfix waits for its system resolver instead, which may take much longer).
constexpr std::chrono::seconds reverse_dns_deadline{5};

IpAddress to_ip(const asio::ip::address& a) {
    if (a.is_v6() && a.to_v6().is_v4_mapped())
        return *parse_ip(asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6()).to_string());
    return *parse_ip(a.to_string());
}

}  // namespace

Session::Session(ServerContext& shared, Transport::Socket socket)
    : shared_(shared), io_(std::move(socket)), timer_(io_.socket().get_executor()) {}

void Session::start(ServerContext& shared, Transport::Socket socket) {
    auto executor = socket.get_executor();
    auto session = std::make_shared<Session>(shared, std::move(socket));
    asio::co_spawn(executor, [session]() -> asio::awaitable<void> { co_await session->run(); }, asio::detached);
}

asio::awaitable<void> Session::run() {
    shared_.counters.sessions_active++;
    shared_.counters.sessions_total++;
    // The stop is posted to this session's strand, where everything else of it runs.
    registration_.emplace(shared_.sessions.add([weak = weak_from_this(), executor = io_.socket().get_executor()] {
        asio::post(executor, [weak] {
            if (auto self = weak.lock()) self->on_stop();
        });
    }));
    try {
        if (co_await greet() == Flow::proceed) {
            for (;;) {
                auto line = co_await read_line();
                if (!line) break;
                auto parsed = parse_command(*line);
                Flow flow = Flow::proceed;
                last_code_ = 0;
                if (auto* error = std::get_if<Reply>(&parsed)) {
                    stats_.attempted(command_verb(*line));
                    reply(*error);
                    if (too_many_errors()) flow = Flow::close;
                } else {
                    const Command& command = std::get<Command>(parsed);
                    stats_.attempted(command.verb);
                    flow = co_await dispatch(command);
                    // As Postfix counts: a command succeeded when its final reply is 2xx (a DATA
                    // whose connection broke after the 354 did not).
                    if (last_code_ / 100 == 2) stats_.succeeded(command.verb);
                }
                if (flow == Flow::close) break;
            }
        }
        co_await flush();
    } catch (const std::exception& e) {
        // A broken connection or an internal failure: nothing was acknowledged that is not queued.
        log_event(std::string("lost connection: ") + e.what());
    }
    timer_.cancel();
    io_.close();
    queue_id_.clear();
    // Postfix's smtpd line, which admins grep for: "disconnect from NAME[ADDR] ehlo=1 ... commands=5".
    if (!client_address_text_.empty()) log_event("disconnect from " + client_text() + stats_.format());
    registration_.reset();
    shared_.counters.sessions_active--;
}

void Session::on_stop() {
    stopping_ = true;
    if (!idle_) return;  // read_line answers 421 when the command in progress is done
    // Waiting for the client's next command: wake the read (as the inactivity timer does), and
    // read_line answers 421 at once.
    stop_cut_ = true;
    boost::system::error_code ignored;
    io_.socket().cancel(ignored);
}

// README "Reverse DNS": the name goes into the log and Received:, or "unknown", with Postfix's warnings.
asio::awaitable<void> Session::find_client_name() {
    if (!shared_.resolver) co_return;
    auto found = co_await dns::lookup_client_name(shared_.resolver, client_address_text_, reverse_dns_deadline);
    facts_.client_name = found.name;
    using Status = dns::ClientName::Status;
    if (found.status == Status::not_confirmed)
        log_event("warning: hostname " + printable_text(found.ptr) + " does not resolve to address " + client_address_text_);
    else if (found.status == Status::temporary)
        log_event("warning: " + client_address_text_ + ": hostname lookup failed: " + found.detail);
}

asio::awaitable<Session::Flow> Session::greet() {
    rules_ = shared_.hooks.snapshot();
    boost::system::error_code remote_error, local_error;
    auto remote = io_.socket().remote_endpoint(remote_error);
    auto local = io_.socket().local_endpoint(local_error);
    if (remote_error || local_error) co_return Flow::close;  // the client is gone already
    facts_.mta = policy::Mta::standalone;
    facts_.client_address = to_ip(remote.address());
    facts_.local_address = to_ip(local.address());
    facts_.local_port = local.port();
    client_address_text_ = facts_.client_address.to_string();
    connect_ = policy::evaluate_connect(*rules_, facts_);
    const auto* connector = connect_.connector;
    session_deadline_ = std::chrono::steady_clock::now() +
                        std::chrono::seconds(connector ? connector->connection_timeout_s : 60);
    if (!connect_.verdict.continues() || !connector) {
        // README "Replies": no receive connector for this client -> 554 5.7.1 Access denied, at connect.
        log_decision("CONNECT", connect_.verdict, {});
        shared_.counters.connections_refused++;
        reply(connect_.verdict.reply());
        co_return Flow::close;
    }
    ConnectionSlots::Refusal refusal{};
    auto slot = shared_.slots.acquire(*connector, facts_.client_address, refusal);
    if (slot) slot_.emplace(std::move(*slot));
    if (!slot_) {
        auto v = policy::make_reply(policy::Action::tempfail, 421, "4.7.0",
                                    refusal == ConnectionSlots::Refusal::total
                                        ? rules_->organization.hostname + " Error: too many connections"
                                        : rules_->organization.hostname + " Error: too many connections from " + client_address_text_,
                                    "connector " + connector->name + (refusal == ConnectionSlots::Refusal::total
                                                                          ? ": max_connections"
                                                                          : ": max_connections_per_source"));
        log_decision("CONNECT", v, {});
        shared_.counters.connections_refused++;
        reply(v);
        co_return Flow::close;
    }
    if (connector->reverse_dns != policy::ReverseDns::off) co_await find_client_name();
    log_event("connect from " + client_text() + " to connector " + connector->name);
    reply(Reply{220, "", rules_->organization.hostname + " ESMTP mailwarden"});
    co_return Flow::proceed;
}

asio::awaitable<Session::Flow> Session::dispatch(const Command& c) {
    switch (c.verb) {
        case Verb::helo:
        case Verb::ehlo: co_return co_await on_helo(c);
        case Verb::mail: co_return co_await on_mail(c);
        case Verb::rcpt: co_return co_await on_rcpt(c);
        case Verb::data: co_return co_await on_data();
        case Verb::bdat: co_return co_await on_bdat(c);
        case Verb::starttls: co_return co_await on_starttls(c);
        case Verb::auth: co_return co_await on_auth(c);
        case Verb::etrn: co_return co_await on_etrn(c);
        case Verb::rset:
            // RFC 3030 2: RSET also ends a BDAT transfer, in progress or failed: its chunks and its
            // failure mark belong to the transaction.
            reset_transaction();
            reply(Reply{250, "2.0.0", "Ok"});
            co_return Flow::proceed;
        case Verb::noop: reply(Reply{250, "2.0.0", "Ok"}); co_return Flow::proceed;
        case Verb::quit: reply(Reply{221, "2.0.0", "Bye"}); co_return Flow::close;
        case Verb::vrfy:
            if (c.argument.empty()) {
                co_return refuse(Reply{501, "5.5.4", "Syntax: VRFY address"});
            }
            // RFC 5321 3.5.3: 252 neither confirms nor denies, so addresses cannot be harvested.
            reply(Reply{252, "2.0.0", "Cannot VRFY user, but will accept message and attempt delivery"});
            co_return Flow::proceed;
        case Verb::expn:
            co_return refuse(Reply{502, "5.5.1", "Error: command not implemented"});
        case Verb::help: {
            // What this connector offers at some point of a session: STARTTLS with a certificate,
            // AUTH where logins are taken (perhaps only after STARTTLS).
            std::string commands = "Commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY HELP";
            if (shared_.tls) commands += " STARTTLS";
            if (auth_offered()) commands += " AUTH";
            if (etrn_offered()) commands += " ETRN";
            reply(Reply{214, "2.0.0", commands});
            co_return Flow::proceed;
        }
    }
    co_return refuse(Reply{500, "5.5.1", "Command unrecognized"});
}

asio::awaitable<Session::Flow> Session::on_helo(const Command& c) {
    facts_.helo = c.argument;
    esmtp_ = c.verb == Verb::ehlo;
    greeted_ = true;
    reset_transaction();  // RFC 5321 4.1.4: EHLO/HELO reset the transaction
    if (esmtp_) {
        output_ += ehlo_reply();
        last_code_ = 250;
    } else {
        reply(Reply{250, "", rules_->organization.hostname});
    }
    co_return Flow::proceed;
}

std::string Session::ehlo_reply() const {
    const auto& c = *connect_.connector;
    std::vector<std::string> lines;
    lines.push_back(rules_->organization.hostname);
    lines.push_back("PIPELINING");
    lines.push_back("SIZE " + std::to_string(c.max_message_size));
    // Only to sessions that may use it (Postfix offers it to all and refuses at the command): a
    // client that sees ETRN expects it to work.
    if (etrn_offered()) lines.push_back("ETRN");
    if (shared_.tls && !io_.tls_active()) lines.push_back("STARTTLS");
    if (auth_offered() && (io_.tls_active() || !auth_needs_tls()) && !facts_.auth_login)
        lines.push_back("AUTH PLAIN LOGIN");
    lines.push_back("ENHANCEDSTATUSCODES");
    lines.push_back("8BITMIME");
    lines.push_back("DSN");
    lines.push_back("SMTPUTF8");
    lines.push_back("CHUNKING");
    std::string out;
    for (std::size_t i = 0; i < lines.size(); ++i)
        out += "250" + std::string(i + 1 < lines.size() ? "-" : " ") + lines[i] + "\r\n";
    return out;
}

asio::awaitable<bool> Session::read_more() {
    auto deadline = std::min(session_deadline_,
                             std::chrono::steady_clock::now() +
                                 std::chrono::seconds(connect_.connector ? connect_.connector->inactivity_timeout_s : 60));
    arm_timer(deadline, true);
    std::size_t n = 0;
    try {
        n = co_await io_.read_some(reader_);
    } catch (const boost::system::system_error&) {
        n = 0;
    }
    if (n > 0) co_return true;
    if (timed_out_ && !stop_cut_) {
        log_event("timeout after " + std::string(tx_ ? "MAIL" : "command") + " from " + client_text());
        output_ = Reply{421, "4.4.2", rules_->organization.hostname + " Error: timeout exceeded"}.wire();
        timed_out_ = false;
        co_await flush();
    }
    co_return false;
}

asio::awaitable<std::optional<std::string>> Session::read_line() {
    std::string line;
    for (;;) {
        // Stopping: the next command is answered 421 instead of run, even one already pipelined.
        // A SASL answer is still read: its exchange ends first.
        if (stopping_ && !in_auth_) {
            reply(Reply{421, "4.3.2", rules_->organization.hostname + " Service shutting down"});
            co_await flush();
            co_return std::nullopt;
        }
        switch (reader_.next(line)) {
            case LineStatus::line: co_return line;
            case LineStatus::need_more: {
                co_await flush();
                if (stopping_ && !in_auth_) break;
                idle_ = !in_auth_;
                bool more = co_await read_more();
                idle_ = false;
                if (!more && !stop_cut_) co_return std::nullopt;
                break;
            }
            case LineStatus::too_long:
                // Inside a SASL exchange the line is an answer, not a command: the exchange ends
                // (the caller answers 501 Authentication aborted).
                if (in_auth_) co_return std::string("*");
                reply(Reply{500, "5.5.2", "Line too long"});
                if (too_many_errors()) co_return std::nullopt;
                break;
            case LineStatus::bare_cr_lf:
                log_event("bare CR or LF in a command from " + client_text());
                reply(Reply{521, "5.5.2", "Bare CR or LF received"});
                co_return std::nullopt;
        }
    }
}

void Session::arm_timer(std::chrono::steady_clock::time_point deadline, bool inactivity) {
    // Re-arming cancels the previous wait (its handler sees operation_aborted and does nothing).
    timer_.expires_at(deadline);
    timed_out_ = false;
    std::weak_ptr<Session> weak = weak_from_this();
    timer_.async_wait([weak, inactivity](boost::system::error_code ec) {
        if (ec) return;
        if (auto self = weak.lock()) {
            // A wait that had already expired when the timer was re-armed still runs: it must not
            // cut the next operation short.
            if (self->timer_.expiry() > std::chrono::steady_clock::now()) return;
            if (inactivity) self->timed_out_ = true;
            boost::system::error_code ignored;
            self->io_.socket().cancel(ignored);
        }
    });
}

void Session::reply(const Reply& r) {
    output_ += r.wire();
    last_code_ = r.code;
}

void Session::reply(const policy::Verdict& v) { reply(v.reply()); }

asio::awaitable<void> Session::flush() {
    if (output_.empty()) co_return;
    // RFC 2920: replies to pipelined commands may wait while more commands are already buffered.
    std::string out = std::move(output_);
    output_.clear();
    arm_timer(std::chrono::steady_clock::now() + final_reply_timeout +
                  std::chrono::seconds(connect_.connector ? connect_.connector->inactivity_timeout_s : 60),
              false);
    co_await io_.write(out);
}

Session::Flow Session::refuse(const Reply& r) {
    reply(r);
    return too_many_errors() ? Flow::close : Flow::proceed;
}

bool Session::too_many_errors() {
    if (++errors_ < hard_error_limit) return false;
    log_event("too many errors from " + client_text());
    reply(Reply{421, "4.7.0", rules_->organization.hostname + " Error: too many errors"});
    return true;
}

asio::awaitable<void> Session::tarpit() {
    const auto* c = connect_.connector;
    if (!c || c->tarpit_s == 0) co_return;
    if (tx_ && (tx_->policy.context.rights & policy::bit(policy::Right::bypass_anti_spam))) co_return;
    asio::steady_timer wait(io_.socket().get_executor());
    wait.expires_after(std::chrono::seconds(c->tarpit_s));
    co_await wait.async_wait(asio::use_awaitable);
}

}  // namespace mw::smtp::server
