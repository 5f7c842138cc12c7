// bench/policy_bench: RCPT-stage decisions per second on one core, on (a) the shipped rules and
// (b) a generated rule set with a 1,000,000-entry sender list and 1,000 transport rules; plus the
// compile time of that list, what it costs on disk and in memory, and message-stage decisions per
// second with the 1,000 transport rules; and (c) 1,000 transport rules of every kind (header,
// body, attachment) against a 20 KB multipart message with two attachments, with and without the
// MIME inspection; the figures for (c) come with a baseline in the same run: the same rules loaded
// without the multi-pattern databases. MW_BENCH_FIELDS=1 also prints what one scan of each field
// costs; a fourth argument picks sections ("c"). Run by hand (bench/run-policy); never in the tests.
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "frontdoor/message_content.hpp"
#include "mime/inspect.hpp"
#include "policy/engine.hpp"
#include "policy/list_store.hpp"
#include "policy/loader.hpp"

namespace fs = std::filesystem;
using namespace mw;
using namespace mw::policy;
using Clock = std::chrono::steady_clock;

namespace {

long rss_kib() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    return -1;
}

Address addr(const std::string& text) {
    auto parsed = parse_address(text);
    if (!parsed.address) {
        std::fprintf(stderr, "bad address %s: %s\n", text.c_str(), parsed.error.c_str());
        std::exit(1);
    }
    return *parsed.address;
}

// multi_pattern = false is the baseline: the same rules with each pattern tried by PCRE2 in turn.
std::shared_ptr<const Ruleset> load_or_die(const fs::path& rules, const fs::path& state, bool multi_pattern = true) {
    auto result = load_rules({rules, state, multi_pattern});
    if (!result.ok()) {
        for (const auto& d : result.diagnostics) std::fprintf(stderr, "%s\n", d.str().c_str());
        std::exit(1);
    }
    return result.ruleset;
}

// Runs `decide` for about `seconds`, returns decisions per second. `sink` defeats dead-code removal.
double per_second(double seconds, const std::function<int(std::size_t)>& decide) {
    std::size_t n = 0;
    long sink = 0;
    auto start = Clock::now();
    auto deadline = start + std::chrono::duration<double>(seconds);
    while (Clock::now() < deadline) {
        for (int k = 0; k < 1000; ++k) sink += decide(n++);
    }
    double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    if (sink == 42) std::puts("");
    return static_cast<double>(n) / elapsed;
}

struct Transaction {
    SessionFacts facts;
    MailContext context;
};

Transaction open_transaction(const Ruleset& rules, const std::string& local, const std::string& sender,
                             const std::optional<std::string>& login) {
    Transaction t;
    auto ep = parse_endpoint(local);
    t.facts.local_address = ep.endpoint->address;
    t.facts.local_port = ep.endpoint->port;
    t.facts.client_address = *parse_ip("127.0.0.1");
    if (login) {
        t.facts.auth_login = login;
        t.facts.tls = TlsFacts{"TLSv1.3", "TLS_AES_256_GCM_SHA384", 256, std::nullopt};
    }
    auto connect = evaluate_connect(rules, t.facts);
    auto mail = evaluate_mail(rules, t.facts, connect, addr(sender), std::nullopt);
    if (!mail.verdict.continues()) {
        std::fprintf(stderr, "MAIL refused in setup: %d %s %s\n", mail.verdict.code, mail.verdict.status.c_str(),
                     mail.verdict.text.c_str());
        std::exit(1);
    }
    t.context = mail.context;
    return t;
}

// The header conditions both generated rule sets use, four kinds in turn.
std::string header_condition(std::size_t kind, std::size_t i) {
    const std::string n = std::to_string(i);
    switch (kind) {
        case 0: return "subject_contains = \"project-" + n + "\"";
        case 1: return "header_matches = { X-Tag = \"^tag-" + n + "$\" }";
        case 2: return "from = [\"@vendor" + n + ".example\"]";
        default: return "subject_matches = \"(?i)ticket #" + n + "\\\\b\"";
    }
}

// One generated transport rule that adds a header when `condition` (an inline table's contents) holds.
void write_rule(std::ostream& rules, std::size_t i, const std::string& condition) {
    rules << "[[transport_rule]]\nname = \"rule " << i << "\"\npriority = " << i << "\n"
          << "if = { " << condition << " }\n"
          << "then = { add_header = { X-Rule = \"" << i << "\" } }\n\n";
}

void generate_rules(const fs::path& dir, std::size_t senders, std::size_t transport_rules) {
    fs::create_directories(dir);
    std::ofstream rules(dir / "rules.toml");
    rules << "[organization]\nhostname = \"mx.bench.example\"\n\n"
             "[[accepted_domain]]\ndomain = \"bench.example\"\ntype = \"authoritative\"\n\n"
             "[[receive_connector]]\nname = \"Internet\"\nbind = [\"127.0.0.1:2525\"]\n"
             "permission_groups = [\"anonymous\"]\ngrant = [\"accept-any-recipient\"]\n\n"
             "[[send_connector]]\nname = \"Internet\"\naddress_spaces = [\"*\"]\n\n"
             "[[delivery_restriction]]\nname = \"Listed senders may not send out\"\n"
             "senders = [\"file:senders.txt\"]\nrecipients = [\"outside\"]\naction = \"reject\"\n\n";
    for (std::size_t i = 0; i < transport_rules; ++i) write_rule(rules, i, header_condition(i % 4, i));
    std::ofstream list(dir / "senders.txt");
    list << "# generated sender list\n";
    for (std::size_t i = 0; i < senders; ++i) list << "user" << i << "@senders" << (i % 1000) << ".example\n";
}

// (c): 1,000 rules, nine kinds in turn, none of which matches the benchmark message (each must be
// tried), the way a large site's rule list mostly does not fire.
void generate_content_rules(const fs::path& dir, std::size_t transport_rules) {
    fs::create_directories(dir);
    std::ofstream rules(dir / "rules.toml");
    rules << "[organization]\nhostname = \"mx.bench.example\"\n\n"
             "[[accepted_domain]]\ndomain = \"bench.example\"\ntype = \"authoritative\"\n\n"
             "[[receive_connector]]\nname = \"Internet\"\nbind = [\"127.0.0.1:2525\"]\n"
             "permission_groups = [\"anonymous\"]\n\n";
    for (std::size_t i = 0; i < transport_rules; ++i) {
        const std::string n = std::to_string(i);
        switch (i % 9) {
            case 4: write_rule(rules, i, "body_contains = \"order-" + n + "-confirmed\""); break;
            case 5: write_rule(rules, i, "body_matches = \"(?i)\\\\binvoice\\\\s+no\\\\.?\\\\s*" + n + "\\\\b\""); break;
            case 6: write_rule(rules, i, "attachment_extension = [\"x" + n + "\", \"y" + n + "\"]"); break;
            case 7: write_rule(rules, i, "attachment_name_matches = \"^report-" + n + "\\\\.(pdf|docx)$\""); break;
            case 8: write_rule(rules, i, "attachment_type = \"application/x-bench-" + n + "\""); break;
            default: write_rule(rules, i, header_condition(i % 9, i)); break;
        }
    }
}

std::string base64_block(std::size_t bytes, unsigned seed) {
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    unsigned x = seed;
    for (std::size_t i = 0; i < bytes; ++i) {
        x = x * 1103515245u + 12345u;
        out += alphabet[(x >> 16) % 64];
        if (i % 76 == 75) out += "\r\n";
    }
    return out + "\r\n";
}

// About 20 KB: a text body of ordinary prose and two base64 attachments (a PDF, a spreadsheet).
std::string bench_message() {
    std::string m =
        "From: Someone <someone@elsewhere.example>\r\nTo: y@bench.example\r\n"
        "Subject: status of ticket #17 and project-1001\r\nX-Tag: tag-none\r\n"
        "Message-ID: <bench@elsewhere.example>\r\nMIME-Version: 1.0\r\n"
        "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n";
    const std::string line = "Thanks for the meeting notes; the order for the next quarter is attached, "
                             "with the invoice numbers we discussed.\r\n";
    while (m.size() < 9000) m += line;
    m += "\r\n--b1\r\nContent-Type: application/pdf; name=\"report-2026.pdf\"\r\n"
         "Content-Disposition: attachment; filename=\"report-2026.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n";
    m += base64_block(5200, 1);
    m += "--b1\r\nContent-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet; name=\"q4.xlsx\"\r\n"
         "Content-Disposition: attachment; filename=\"q4.xlsx\"\r\nContent-Transfer-Encoding: base64\r\n\r\n";
    m += base64_block(5200, 2);
    m += "--b1--\r\n";
    return m;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s SHIPPED_RULES_DIR [WORK_DIR] [SECONDS] [SECTIONS, default abc]\n", argv[0]);
        return 2;
    }
    fs::path shipped = argv[1];
    fs::path work = argc > 2 ? fs::path(argv[2]) : fs::temp_directory_path() / ("mw-bench-" + std::to_string(::getpid()));
    double seconds = argc > 3 ? std::stod(argv[3]) : 3.0;
    const std::string sections = argc > 4 ? argv[4] : "abc";  // e.g. "c" to profile one of them
    auto wanted = [&](char section) { return sections.find(section) != std::string::npos; };
    fs::remove_all(work);
    fs::create_directories(work);

    // (a) The shipped rules: an anonymous Internet session, a mix of local, unknown and relay recipients.
    if (wanted('a')) {
        auto rules = load_or_die(shipped, work / "state-a");
        auto t = open_transaction(*rules, "127.0.0.1:2525", "someone@elsewhere.example", std::nullopt);
        std::vector<Address> rcpts = {addr("alice@example.com"), addr("nobody@example.com"),
                                      addr("victim@other.example"), addr("kid1@students.example.com")};
        double rate = per_second(seconds, [&](std::size_t i) {
            auto ctx = t.context;
            return evaluate_rcpt(*rules, t.facts, ctx, rcpts[i % rcpts.size()], 0).verdict.code;
        });
        std::printf("(a) shipped rules: RCPT decisions/s on one core: %.0f  (target >= 1,000,000)\n", rate);
    }

    // (b) Generated: 1,000,000-entry sender list in a delivery restriction, 1,000 transport rules.
    if (wanted('b')) {
        const std::size_t senders = 1'000'000, transport_rules = 1000;
        fs::path dir = work / "generated";
        generate_rules(dir, senders, transport_rules);
        long rss_before = rss_kib();
        std::vector<ListEntryError> entry_errors;
        auto start = Clock::now();
        auto list = ListStore::open(dir / "senders.txt", work / "state-list", entry_errors);
        double compile_s = std::chrono::duration<double>(Clock::now() - start).count();
        if (!list.ok() || !entry_errors.empty()) {
            std::fprintf(stderr, "list compile failed\n");
            return 1;
        }
        std::printf("(b) 1,000,000-entry list: compiled in %.3f s (target < 2 s); database %.1f MiB\n", compile_s,
                    static_cast<double>(fs::file_size((*list)->database())) / (1024.0 * 1024.0));
        start = Clock::now();
        auto rules = load_or_die(dir, work / "state-b");
        double load_s = std::chrono::duration<double>(Clock::now() - start).count();
        long rss_after = rss_kib();
        std::printf("    full rules load (list + 1,000 transport rules, PCRE2 JIT): %.3f s; RSS +%ld KiB "
                    "(the list itself is memory-mapped, paged in on use)\n",
                    load_s, rss_after - rss_before);

        std::vector<Transaction> txs;
        for (int i = 0; i < 64; ++i) {
            // Half the senders are listed, half are not.
            std::string sender = i % 2 ? "user" + std::to_string(i * 15619) + "@senders" +
                                             std::to_string((i * 15619) % 1000) + ".example"
                                       : "free" + std::to_string(i) + "@open" + std::to_string(i) + ".example";
            txs.push_back(open_transaction(*rules, "127.0.0.1:2525", sender, std::nullopt));
        }
        std::vector<Address> rcpts = {addr("x@outside.example"), addr("y@bench.example")};
        int rejected = 0;
        double rate = per_second(seconds, [&](std::size_t i) {
            auto& t = txs[i % txs.size()];
            auto ctx = t.context;
            int code = evaluate_rcpt(*rules, t.facts, ctx, rcpts[(i / txs.size()) % 2], 0).verdict.code;
            rejected += code == 550;
            return code;
        });
        std::printf("    RCPT decisions/s on one core: %.0f  (target >= 200,000; %s)\n", rate,
                    rejected ? "listed senders rejected" : "WARNING: nothing was rejected");

        HeaderFacts headers;
        headers.fields = {{"From", "a@vendor.example"}, {"Subject", "status of ticket #17 and project-999"},
                          {"X-Tag", "tag-none"}, {"Content-Type", "text/plain"}};
        std::vector<Address> accepted = {addr("y@bench.example")};
        auto message_rate = [&](const Ruleset& r) {
            auto t = open_transaction(r, "127.0.0.1:2525", "free0@open0.example", std::nullopt);
            return per_second(seconds / 2, [&](std::size_t) {
                return evaluate_message(r, t.facts, t.context, accepted, headers, 4096).verdict.code;
            });
        };
        double msg_rate = message_rate(*rules);
        double msg_base = message_rate(*load_or_die(dir, work / "state-b", false));
        std::printf("    message-stage decisions/s with 1,000 transport rules: %.0f; each pattern by PCRE2 in "
                    "turn: %.0f (x%.1f)\n",
                    msg_rate, msg_base, msg_rate / msg_base);
    }

    // (c) 1,000 transport rules of every kind on a 20 KB multipart message with two attachments.
    if (wanted('c')) {
        fs::path dir = work / "content";
        generate_content_rules(dir, 1000);
        auto rules = load_or_die(dir, work / "state-c");
        auto base = load_or_die(dir, work / "state-c", false);
        auto t = open_transaction(*rules, "127.0.0.1:2525", "someone@elsewhere.example", std::nullopt);
        auto t_base = open_transaction(*base, "127.0.0.1:2525", "someone@elsewhere.example", std::nullopt);
        std::string message = bench_message();
        HeaderFacts headers;
        headers.fields = {{"From", "Someone <someone@elsewhere.example>"}, {"To", "y@bench.example"},
                          {"Subject", "status of ticket #17 and project-1001"}, {"X-Tag", "tag-none"},
                          {"Message-ID", "<bench@elsewhere.example>"}, {"MIME-Version", "1.0"},
                          {"Content-Type", "multipart/mixed; boundary=\"b1\""}};
        auto inspected = mime::inspect(message, rules->mime);
        if (!inspected || inspected->parts.size() != 4 || !inspected->malformed.empty()) {
            std::fprintf(stderr, "the benchmark message did not inspect as 4 sound parts\n");
            return 1;
        }
        std::vector<Address> accepted = {addr("y@bench.example")};
        for (const auto* r : {&*rules, &*base}) {
            auto& tx = r == &*rules ? t : t_base;
            auto first = evaluate_message(*r, tx.facts, tx.context, accepted, headers, message.size(), &*inspected);
            if (first.verdict.code != 250 || !first.rules_applied.empty()) {
                std::fprintf(stderr, "unexpected verdict %d or rules applied in (c)%s: %s\n", first.verdict.code,
                             r == &*base ? " (baseline)" : "",
                             first.rules_applied.empty() ? "-" : first.rules_applied.front().c_str());
                return 1;
            }
        }
        if (std::getenv("MW_BENCH_FIELDS")) {
            auto field = [&](const char* what, const PatternSet& set, std::string_view value) {
                double r = per_second(seconds / 4, [&](std::size_t) {
                    PatternHits h;
                    h.reset(set.size());
                    set.scan(value, h);
                    return 0;
                });
                std::printf("    scan %s (%zu patterns, %zu PCRE2 only): %.0f/s\n", what, set.size(), set.pcre2_only(), r);
            };
            field("body", rules->patterns.body, inspected->body_text);
            field("subject", rules->patterns.subject, "status of ticket #17 and project-1001");
            field("names", rules->patterns.attachment_name, "report-2026.pdf");
            field("types", rules->patterns.attachment_type, "application/pdf");
        }
        double rules_only = per_second(seconds / 2, [&](std::size_t) {
            return evaluate_message(*rules, t.facts, t.context, accepted, headers, message.size(), &*inspected).verdict.code;
        });
        double baseline = per_second(seconds / 2, [&](std::size_t) {
            return evaluate_message(*base, t_base.facts, t_base.context, accepted, headers, message.size(), &*inspected)
                .verdict.code;
        });
        double with_parse = per_second(seconds / 2, [&](std::size_t) {
            auto content = frontdoor::inspect_content(*rules, message);
            return evaluate_message(*rules, t.facts, t.context, accepted, headers, message.size(),
                                    content && *content ? &**content : nullptr)
                .verdict.code;
        });
        std::printf("(c) %zu-byte multipart message, 2 attachments, 1,000 transport rules of every kind:\n"
                    "    message-stage decisions/s on one core: %.0f  (target >= 50,000)\n"
                    "    the same rules, each pattern by PCRE2 in turn: %.0f (x%.1f)\n"
                    "    MIME inspection (GMime) + message stage, messages/s: %.0f\n",
                    message.size(), rules_only, baseline, rules_only / baseline, with_parse);
    }
    fs::remove_all(work);
    return 0;
}
