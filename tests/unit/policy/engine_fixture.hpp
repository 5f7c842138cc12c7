// Helpers for the engine tests: rule sets from TOML, facts for a hypothetical session, and a
// session driver that runs connect → MAIL → RCPT → message as a front door would.
#pragma once

#include <boost/test/unit_test.hpp>

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "policy/engine.hpp"
#include "test_support.hpp"

namespace mw::policy {
// Boost.Test prints the operands of a failed comparison.
inline std::ostream& operator<<(std::ostream& out, Action a) { return out << to_string(a); }
inline std::ostream& operator<<(std::ostream& out, PermissionGroup g) { return out << to_string(g); }
}  // namespace mw::policy

namespace mw::test {

using namespace mw::policy;

// The organization and domains most engine tests share; tests append their own tables.
inline const char* const base_rules = R"([organization]
hostname = "mx.example.com"

[[accepted_domain]]
domain = "example.com"
type = "authoritative"

[[accepted_domain]]
domain = "*.example.com"
type = "authoritative"

[[accepted_domain]]
domain = "relay.example"
type = "internal-relay"
)";

// A standalone connector taking anyone on port 25 as anonymous or partner.
inline const char* const internet_connector = R"(
[[receive_connector]]
name = "Internet"
bind = ["0.0.0.0:25", "[::]:25"]
daemon_name = "internet"
permission_groups = ["anonymous", "partners"]
)";

// Submission: users only, TLS first.
inline const char* const submission_connector = R"(
[[receive_connector]]
name = "Submission"
bind = ["0.0.0.0:587"]
daemon_name = "submission"
auth = ["basic-require-tls"]
require_tls = true
permission_groups = ["users"]
)";

inline Address addr(std::string_view text) {
    if (text == "<>") {
        Address null;
        null.null = true;
        return null;
    }
    auto parsed = parse_address(text);
    BOOST_TEST_REQUIRE(parsed.address.has_value(), "bad test address " << text << ": " << parsed.error);
    return *parsed.address;
}

inline IpAddress ip(std::string_view text) {
    auto parsed = parse_ip(text);
    BOOST_TEST_REQUIRE(parsed.has_value(), "bad test ip " << text);
    return *parsed;
}

inline std::string reply(const Verdict& v) { return std::to_string(v.code) + " " + v.status + " " + v.text; }

inline SessionFacts standalone_facts(std::string_view local, std::uint16_t port, std::string_view client) {
    SessionFacts f;
    f.mta = Mta::standalone;
    f.local_address = ip(local);
    f.local_port = port;
    f.client_address = ip(client);
    return f;
}

inline TlsFacts tls13() {
    TlsFacts t;
    t.version = "TLSv1.3";
    t.cipher = "TLS_AES_256_GCM_SHA384";
    t.cipher_bits = 256;
    return t;
}

inline bool trace_has(const Trace& trace, std::string_view needle) {
    for (const auto& line : trace)
        if (line.find(needle) != std::string::npos) return true;
    return false;
}

inline std::string trace_text(const Trace& trace) {
    std::string out;
    for (const auto& line : trace) out += "  " + line + "\n";
    return out;
}

// One SMTP session against a rule set, stage by stage.
struct Session {
    std::shared_ptr<const Ruleset> rules;
    SessionFacts facts;
    ConnectResult connect;
    MailResult mail;
    std::vector<Address> accepted;
    std::vector<RcptResult> rcpts;

    Session(std::shared_ptr<const Ruleset> r, SessionFacts f)
        : rules(std::move(r)), facts(std::move(f)), connect(evaluate_connect(*rules, facts)) {}

    const Verdict& mail_from(std::string_view sender, std::optional<std::uint64_t> size = std::nullopt) {
        mail = evaluate_mail(*rules, facts, connect, addr(sender), size);
        return mail.verdict;
    }
    const RcptResult& rcpt_to(std::string_view rcpt) {
        Address a = addr(rcpt);
        return rcpt_to(a);
    }
    const RcptResult& rcpt_to(const Address& a) {
        rcpts.push_back(evaluate_rcpt(*rules, facts, mail.context, a, accepted.size()));
        if (rcpts.back().verdict.continues()) accepted.push_back(a);
        return rcpts.back();
    }
    MessageResult message(const std::vector<HeaderField>& fields = {}, std::uint64_t size = 1000,
                          const MessageContent* content = nullptr) {
        HeaderFacts h;
        h.fields = fields;
        return evaluate_message(*rules, facts, mail.context, accepted, h, size, content);
    }
};

inline bool has_edit(const MessageResult& m, HeaderEdit::Kind kind, std::string_view name, std::string_view value = {},
                     int index = 0) {
    for (const auto& e : m.header_edits) {
        if (e.kind != kind || e.name != name) continue;
        if (kind == HeaderEdit::Kind::remove ? e.index == index : e.value == value) return true;
    }
    return false;
}

inline std::string edits_text(const MessageResult& m) {
    std::string out;
    for (const auto& e : m.header_edits) {
        const char* k = e.kind == HeaderEdit::Kind::remove ? "-" : e.kind == HeaderEdit::Kind::add ? "+"
                        : e.kind == HeaderEdit::Kind::set  ? "="
                                                           : "^";
        out += std::string(k) + e.name + (e.kind == HeaderEdit::Kind::remove ? "#" + std::to_string(e.index) : ": " + e.value) + "\n";
    }
    return out;
}

}  // namespace mw::test
