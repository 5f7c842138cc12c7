// `mailwarden queue list|show|flush|delete|hold|release`: the admin's view of the standalone queue
// (README "mailwarden explain"), in the spirit of Postfix's mailq and postsuper. It opens the queue with
// open_for_admin, so it works while the daemon runs (LMDB is multi-process safe) and never touches
// segment files itself.
#include <time.h>

#include <cstdio>
#include <iostream>

#include "cli/commands.hpp"
#include "core/daemon_config.hpp"
#include "daemon/control_protocol.hpp"
#include "core/json_writer.hpp"
#include "smtp/queue/queue.hpp"

namespace mw::cli {

namespace fs = std::filesystem;
using smtp::queue::MessageInfo;
using smtp::queue::MessageState;
using smtp::queue::RecipientState;

namespace {

constexpr const char* subcommands = "list, show ID, flush [DOMAIN], delete ID, hold ID, release ID";

// The command's failure: printed as "mailwarden queue: what", exit 1.
struct QueueFailure : std::runtime_error {
    using std::runtime_error::runtime_error;
};

template <typename T>
T checked(Result<T> r) {
    if (!r.ok()) throw QueueFailure(r.error().origin + ": " + r.error().detail);
    return std::move(r).value();
}

const char* state_name(RecipientState s) {
    switch (s) {
        case RecipientState::pending: return "pending";
        case RecipientState::delivered: return "delivered";
        case RecipientState::failed: return "failed";
    }
    return "pending";
}

const char* state_name(MessageState s) { return s == MessageState::hold ? "hold" : "active"; }

std::string formatted_time(std::int64_t unix_seconds, bool local, const char* format) {
    time_t t = static_cast<time_t>(unix_seconds);
    struct tm tm {};
    if (local) ::localtime_r(&t, &tm);
    else ::gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, format, &tm);
    return buf;
}

// mailq's arrival column: local time, "Tue Nov 14 22:13:20".
std::string local_time(std::int64_t unix_seconds) { return formatted_time(unix_seconds, true, "%a %b %e %H:%M:%S"); }

std::string iso_time(std::int64_t unix_seconds) { return formatted_time(unix_seconds, false, "%Y-%m-%dT%H:%M:%SZ"); }

std::string sender_text(const std::string& sender) { return sender.empty() ? "<>" : sender; }

void print_list(const std::vector<MessageInfo>& messages) {
    if (messages.empty()) {
        std::cout << "Mail queue is empty\n";
        return;
    }
    std::uint64_t bytes = 0;
    std::printf("%-17s %8s %-20s  %s\n", "-Queue ID-", "--Size--", "----Arrival Time----", "-Sender/Recipient-------");
    for (const MessageInfo& m : messages) {
        bytes += m.size;
        // '!' marks a held message, like Postfix's mailq.
        std::string id = m.id + (m.state == MessageState::hold ? "!" : "");
        std::printf("%-17s %8llu %-20s  %s\n", id.c_str(), static_cast<unsigned long long>(m.size),
                    local_time(m.envelope.arrival).c_str(), sender_text(m.envelope.sender).c_str());
        if (m.state == MessageState::active && m.next_attempt > 0)
            std::printf("%49s[next attempt %s]\n", "", local_time(m.next_attempt).c_str());
        for (const auto& r : m.envelope.recipients) {
            if (!r.last_reply.empty()) std::printf("%49s(%s)\n", "", r.last_reply.c_str());
            std::printf("%49s%s", "", r.address.c_str());
            if (r.state != RecipientState::pending || r.attempts > 0)
                std::printf(" [%s, %u attempt%s]", state_name(r.state), r.attempts, r.attempts == 1 ? "" : "s");
            std::printf("\n");
        }
        std::printf("\n");
    }
    std::printf("-- %llu Kbytes in %zu Request%s.\n", static_cast<unsigned long long>((bytes + 1023) / 1024),
                messages.size(), messages.size() == 1 ? "" : "s");
}

void print_json(const std::vector<MessageInfo>& messages) {
    JsonWriter w;
    w.begin_array();
    for (const MessageInfo& m : messages) {
        w.begin_object();
        w.key("id").value(m.id);
        w.key("size").value(static_cast<std::int64_t>(m.size));
        w.key("arrival").value(m.envelope.arrival);
        w.key("sender").value(m.envelope.sender);
        w.key("state").value(state_name(m.state));
        w.key("next_attempt").value(m.next_attempt);
        w.key("recipients").begin_array();
        for (const auto& r : m.envelope.recipients) {
            w.begin_object();
            w.key("address").value(r.address);
            w.key("state").value(state_name(r.state));
            w.key("attempts").value(static_cast<std::int64_t>(r.attempts));
            w.key("last_reply").value(r.last_reply);
            w.end_object();
        }
        w.end_array();
        w.end_object();
    }
    w.end_array();
    std::cout << w.str() << "\n";
}

void print_message(const MessageInfo& m, const std::string& body) {
    const auto& e = m.envelope;
    std::cout << "id: " << m.id << "\n"
              << "state: " << state_name(m.state) << "\n"
              << "size: " << m.size << "\n"
              << "arrival: " << iso_time(e.arrival) << "\n"
              << "next attempt: " << (m.next_attempt == 0 ? std::string("now") : iso_time(m.next_attempt)) << "\n"
              << "sender: <" << e.sender << ">\n";
    for (const auto& r : e.recipients) {
        std::cout << "recipient: <" << r.address << "> " << state_name(r.state) << ", " << r.attempts << " attempt"
                  << (r.attempts == 1 ? "" : "s");
        if (!r.last_reply.empty()) std::cout << " (" << r.last_reply << ")";
        std::cout << "\n";
    }
    if (!e.client.empty()) std::cout << "client: " << e.client << "\n";
    if (!e.helo.empty()) std::cout << "helo: " << e.helo << "\n";
    if (!e.connector.empty()) std::cout << "connector: " << e.connector << "\n";
    if (!e.dsn_ret.empty()) std::cout << "dsn ret: " << e.dsn_ret << "\n";
    if (!e.dsn_envid.empty()) std::cout << "dsn envid: " << e.dsn_envid << "\n";
    std::cout << "\n";
    std::cout.write(body.data(), static_cast<std::streamsize>(body.size()));
    std::cout.flush();
}

// Wakes a running daemon so flushed mail goes now rather than at its next queue run. Best effort:
// the messages are already due, whether or not anybody is listening.
// With a domain, the daemon also lets the mail a send connector's `hold` keeps go (README "ETRN").
void wake_daemon(const mw::DaemonConfig& config, const std::string& domain) {
    std::string answer;
    try {
        if (!config.control.active()) throw std::runtime_error("control socket disabled");
        answer = daemon::control_request(mw::parse_listen_address(config.control.listen),
                                         domain.empty() ? "flush" : "flush " + domain);
    } catch (const std::exception&) {
        std::cout << "the daemon is not reachable; the messages go out at its next queue run\n";
        return;
    }
    if (answer.rfind("ok", 0) == 0)
        std::cout << "the daemon is delivering them now\n";
    else
        std::cout << "the daemon did not take the request; the messages go out at its next queue run\n";
}

// One message by id; unknown ids are the command's failure (exit 1).
int change(const std::string& id, const std::string& what, Result<bool> done) {
    if (!checked(std::move(done))) throw QueueFailure("no message " + id + " in the queue");
    std::cout << id << ": " << what << "\n";
    return 0;
}

int queue_command(const ParsedArgs& parsed) {
    const std::string sub = parsed.subcommand;
    if (sub.empty()) {
        if (parsed.positional.empty()) throw UsageError(std::string("which subcommand? ") + subcommands);
        throw UsageError("unknown subcommand '" + parsed.positional.front() + "'; valid: " + subcommands);
    }
    bool takes_id = sub == "show" || sub == "delete" || sub == "hold" || sub == "release";
    const bool takes_domain = sub == "flush";  // optional: `queue flush example.net`
    if (takes_id && parsed.positional.empty()) throw UsageError("'queue " + sub + "' needs a queue id");
    if (parsed.positional.size() > (takes_id || takes_domain ? 1u : 0u))
        throw UsageError("unexpected argument '" + parsed.positional[takes_id || takes_domain ? 1 : 0] + "'");
    const std::string domain = takes_domain && !parsed.positional.empty() ? parsed.positional[0] : std::string();
    if (domain.find_first_of("@[]/ \t") != std::string::npos)
        throw UsageError("'queue flush' takes a domain, not '" + domain + "'");
    if (parsed.has("json") && sub != "list") throw UsageError("option '--json' is for 'queue list' only");

    auto loaded_config = load_config_for_command(parsed);
    if (!loaded_config) return 1;
    const mw::DaemonConfig& config = *loaded_config;
    fs::path state_dir = parsed.has("state-dir") ? fs::path(*parsed.get("state-dir")) : config.state_dir;

    try {
        auto opened = smtp::queue::open_for_admin(state_dir);
        if (!opened) throw QueueFailure(opened.error().detail);
        smtp::queue::Queue& queue = **opened;
        const std::string id = takes_id ? parsed.positional[0] : std::string();

        if (sub == "list") {
            auto messages = checked(queue.list());
            parsed.has("json") ? print_json(messages) : print_list(messages);
            return 0;
        }
        if (sub == "show") {
            auto info = checked(queue.find(id));
            if (!info) throw QueueFailure("no message " + id + " in the queue");
            print_message(*info, checked(queue.read_body(id)));
            return 0;
        }
        if (sub == "flush") {
            std::size_t n = checked(queue.schedule_now(domain));
            std::cout << n << " message" << (n == 1 ? "" : "s") << " scheduled for delivery now";
            if (!domain.empty()) std::cout << " (recipients in " << domain << ")";
            std::cout << "\n";
            wake_daemon(config, domain);
            return 0;
        }
        if (sub == "delete") return change(id, "deleted", queue.remove(id));
        if (sub == "hold") return change(id, "held", queue.set_state(id, MessageState::hold));
        return change(id, "released", queue.set_state(id, MessageState::active));
    } catch (const QueueFailure& e) {
        std::cerr << "mailwarden queue: " << e.what() << "\n";
        return 1;
    }
}

}  // namespace

CommandSpec queue_spec() {
    const std::vector<OptionSpec> id = {{"ID", "", "the message's queue id, as 'queue list' prints it"}};
    return {
        .name = "queue",
        .summary = "the standalone MTA's queue, also while the daemon runs",
        .options = {config_option(),
                    {"state-dir", "DIR", "the state directory whose queue to use, instead of the file's\n"
                                         "state_dir"}},
        .subcommands =
            {
                {.name = "list",
                 .summary = "list the queued messages like mailq ('!' after the id: held)",
                 .options = {{"json", "", "print the list as JSON"}}},
                {.name = "show", .summary = "print a message's envelope and the message", .arguments = id},
                {.name = "flush", .summary = "deliver every active message now (with DOMAIN: those for that domain)"},
                {.name = "delete", .summary = "remove a message, without notice to its sender", .arguments = id},
                {.name = "hold", .summary = "keep a message from delivery", .arguments = id},
                {.name = "release", .summary = "let a held message go again", .arguments = id},
            },
        .run = queue_command,
    };
}

}  // namespace mw::cli
