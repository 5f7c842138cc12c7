#include "smtp/delivery/etrn_client.hpp"

#include <algorithm>
#include <thread>

#include "core/quote_text.hpp"
#include "smtp/delivery/client_connection.hpp"
#include "smtp/exception_text.hpp"

namespace mw::smtp::delivery {

namespace {

using Clock = ClientConnection::Clock;

// Rules reloads add and remove connectors: look at them again this often even when nothing is due.
constexpr std::chrono::seconds rules_recheck{60};
// Requests that mail sent through a connector makes: at most one a minute per connector.
constexpr std::chrono::seconds min_gap{60};

std::string endpoint_text(const policy::SmartHost& h) {
    const bool v6 = h.host.find(':') != std::string::npos;
    return "inet:" + (v6 ? "[" + h.host + "]" : h.host) + ":" + std::to_string(h.port);
}

asio::awaitable<void> etrn_session(const policy::SendConnector& c, const EtrnClientConfig& config,
                                   std::vector<std::string>& lines) {
    const policy::EtrnRequest& e = *c.etrn;
    const std::string server = e.server.str();
    const std::string about = " (send connector " + c.name + ")";
    auto failed = [&](const std::string& what) { lines.push_back("ETRN to " + server + about + ": " + what); };
    auto endpoint = parse_client_endpoint(endpoint_text(e.server), "ETRN server");
    if (!endpoint) co_return failed(endpoint.error().detail);
    ClientConnection connection(co_await asio::this_coro::executor, "ETRN server " + server);
    auto after = [](std::chrono::milliseconds d) { return Clock::now() + d; };
    if (auto r = co_await connection.connect(*endpoint, after(config.connect_timeout)); !r)
        co_return failed(r.error().detail);
    // Every string a co_await expression takes is named: GCC 12 mishandles temporaries there.
    auto command = [&](const std::string& line) -> asio::awaitable<Result<ServerReply>> {
        const std::string wire = line + "\r\n";
        if (auto w = co_await connection.write(wire, after(config.command_timeout)); !w) co_return w.error();
        co_return co_await connection.read_reply(after(config.command_timeout));
    };
    auto greeting = co_await connection.read_reply(after(config.command_timeout));
    if (!greeting) co_return failed(greeting.error().detail);
    if (greeting->reply.code != 220) co_return failed("greeting: " + printable_text(greeting->reply.str()));
    // RFC 1985 is an ESMTP extension, but a server that refuses EHLO may still know ETRN.
    const std::string ehlo = "EHLO " + config.helo_name, helo = "HELO " + config.helo_name;
    auto hello = co_await command(ehlo);
    if (hello && hello->reply.code / 100 == 5) hello = co_await command(helo);
    if (!hello) co_return failed(hello.error().detail);
    if (hello->reply.code != 250) co_return failed("EHLO: " + printable_text(hello->reply.str()));
    for (const auto& domain : e.domains) {
        const std::string etrn = "ETRN " + domain;
        auto answer = co_await command(etrn);
        if (!answer) co_return failed(answer.error().detail);
        lines.push_back("ETRN " + domain + " to " + server + about + ": " + printable_text(answer->reply.str()));
    }
    const std::string quit = "QUIT";
    (void)co_await command(quit);
    connection.close();
}

}  // namespace

std::vector<std::string> request_etrn(asio::io_context& io, const policy::SendConnector& connector,
                                      const EtrnClientConfig& config) {
    std::vector<std::string> lines;
    if (!connector.etrn) return lines;
    io.restart();
    asio::co_spawn(io, etrn_session(connector, config, lines), [&lines, &connector](std::exception_ptr e) {
        if (e) lines.push_back("ETRN (send connector " + connector.name + "): failed: " + exception_text(e));
    });
    io.run();
    return lines;
}

EtrnRequester::EtrnRequester(RulesSnapshot rules, EtrnClientConfig config, LogFunction log)
    : rules_(std::move(rules)), config_(std::move(config)), log_(std::move(log)) {
    if (!log_) log_ = [](const std::string&) {};
}

EtrnRequester::~EtrnRequester() { stop(); }

void EtrnRequester::start() {
    if (thread_.joinable()) return;
    thread_ = std::thread([this] { run(); });
}

void EtrnRequester::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    cv_.notify_all();
    // A request starting just now restarts the loop after a single stop(): stop it until the
    // thread has seen `stopping_`.
    while (thread_.joinable() && !finished_) {
        io_.stop();
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (thread_.joinable()) thread_.join();
}

void EtrnRequester::sent_through(const std::string& send_connector) {
    {
        std::lock_guard lock(mutex_);
        asked_.insert(send_connector);
    }
    cv_.notify_all();
}

void EtrnRequester::run() {
    using SteadyClock = std::chrono::steady_clock;
    struct Finished {
        std::atomic<bool>& flag;
        ~Finished() { flag = true; }
    } finished{finished_};
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        auto rules = rules_ ? rules_() : nullptr;
        const auto now = SteadyClock::now();
        std::vector<const policy::SendConnector*> due;
        std::set<std::string> present;
        if (rules) {
            for (const auto& c : rules->send_connectors) {
                if (!c.etrn) continue;
                present.insert(c.name);
                auto next = next_.find(c.name);
                // A connector seen for the first time (at start, or added by a reload) asks at once.
                const bool scheduled = next == next_.end() || next->second <= now;
                // Mail sent through the connector asks again, but at most once a minute: a steady
                // stream of mail must not become a stream of ETRN sessions.
                auto last = last_.find(c.name);
                const bool asked = asked_.contains(c.name);
                if (scheduled || (asked && (last == last_.end() || now - last->second >= min_gap))) {
                    due.push_back(&c);
                    if (asked) last_[c.name] = now;
                } else if (asked) {
                    next_[c.name] = std::min(next->second, last->second + min_gap);
                }
            }
        }
        std::erase_if(next_, [&](const auto& entry) { return !present.contains(entry.first); });
        std::erase_if(last_, [&](const auto& entry) { return !present.contains(entry.first); });
        asked_.clear();  // a connector without etrn has nobody to ask
        for (const auto* c : due) {
            next_[c->name] = c->etrn->every_s ? now + std::chrono::seconds(c->etrn->every_s) : SteadyClock::time_point::max();
            lock.unlock();
            std::vector<std::string> lines;
            try {
                lines = request_etrn(io_, *c, config_);
            } catch (const std::exception& e) {
                lines.push_back("ETRN (send connector " + c->name + "): failed: " + e.what());
            }
            for (const auto& line : lines) log_(line);
            lock.lock();
            if (stopping_) return;
        }
        auto wake = now + rules_recheck;
        for (const auto& [_, t] : next_) wake = std::min(wake, t);
        cv_.wait_until(lock, wake, [&] { return stopping_ || !asked_.empty(); });
    }
}

}  // namespace mw::smtp::delivery
