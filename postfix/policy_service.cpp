#include "postfix/policy_service.hpp"

#include <cctype>
#include <charconv>
#include <cstdio>

#include "core/fingerprint.hpp"
#include "frontdoor/decision_log.hpp"
#include "core/xtext.hpp"
#include "policy/address.hpp"
#include "policy/engine.hpp"
#include "core/quote_text.hpp"

namespace mw::postfix {

namespace {

constexpr const char* ok = "OK";
constexpr const char* dunno = "DUNNO";
// An internal error must not become DUNNO: reject_unauth_destination would turn it into a permanent
// 554 for a recipient mailwarden may well grant (README "Replies": any internal error is 451 4.3.0).
constexpr const char* tempfail = "451 4.3.0 Temporary policy failure";

bool internal_error_verdict(const policy::Verdict& v) { return v.internal; }

// Client-supplied text in a log line: control bytes as \xNN, so one request stays one line.
std::string printable(std::string_view text) { return printable_text(text); }

std::string reply_text(const policy::Verdict& v) {
    return std::to_string(v.code) + " " + v.status + " " + v.text;
}

// What decided, for the log line; facts when known.
struct LogDetail {
    std::string rule;
    std::string connector;
    const policy::SessionFacts* facts = nullptr;
    bool unkeyed = false;  // the four connection values did not parse: nothing handed to the milter
};

// The one decision format (frontdoor/decision_log.hpp), with what Postfix told us:
// `ID|NOQUEUE: policy ACTION: STATE from name[addr]:port: TEXT; rule=… connector=… from=<…> to=<…>
// proto=… helo=<…>`, then what the session showed.
std::string log_line(const Attributes& req, std::string_view action, std::string_view text, const LogDetail& d) {
    std::string_view name = req.get("client_name");
    std::string client = std::string(name.empty() ? std::string_view("unknown") : name) + "[" +
                         std::string(req.get("client_address")) + "]";
    if (!req.get("client_port").empty()) client += ":" + std::string(req.get("client_port"));
    std::string action_text = "policy " + std::string(action);
    frontdoor::Decision line;
    line.queue_id = req.get("queue_id");
    line.action = action_text;
    line.stage = req.get("protocol_state").empty() ? std::string_view("request") : req.get("protocol_state");
    line.client = client;
    line.reply = printable(text);
    line.rule = d.rule;
    if (!d.connector.empty()) line.connector = d.connector;
    line.sender = req.get("sender");
    line.recipients = {std::string(req.get("recipient"))};
    line.proto = req.get("protocol_name");
    line.helo = req.get("helo_name");
    if (d.facts) {
        const policy::SessionFacts& f = *d.facts;
        if (f.auth_login) line.extra.emplace_back("login", *f.auth_login);
        if (f.tls) {
            line.extra.emplace_back("tls", f.tls->version);
            if (f.tls->cert) {
                line.extra.emplace_back("cert", f.tls->cert->verified ? "verified" : "unverified");
                if (f.tls->cert->sha256) line.extra.emplace_back("sha256", *f.tls->cert->sha256);
            }
        }
    }
    if (d.unkeyed) line.extra.emplace_back("handoff", "none");
    return frontdoor::format(line);
}

PolicyDecision decide(const char* action, std::string line) { return PolicyDecision{action, std::move(line)}; }

std::optional<std::uint64_t> size_param(std::string_view text) {
    std::uint64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    // Postfix sends 0 when the client gave no SIZE: no parameter, not a zero-byte message.
    if (ec != std::errc() || end != text.data() + text.size() || value == 0) return std::nullopt;
    return value;
}

bool is_atext(unsigned char c) {
    // RFC 5322 atext; bytes >= 0x80 are UTF-8 (RFC 6531), which parse_address validates.
    return std::isalnum(c) || c >= 0x80 || std::string_view("!#$%&'*+-/=?^_`{|}~").find(static_cast<char>(c)) !=
                                               std::string_view::npos;
}

bool is_dot_atom(std::string_view local) {
    if (local.empty() || local.front() == '.' || local.back() == '.') return false;
    for (std::size_t i = 0; i < local.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(local[i]);
        if (c == '.' ? local[i - 1] == '.' : !is_atext(c)) return false;
    }
    return true;
}

// Postfix sends `sender` and `recipient` in its internal form: a quoted local part arrives
// unquoted (`"user@victim"@example.com` as `user@victim@example.com`). Quoting the local part
// again (up to the last '@', as Postfix's quote_822_local does) restores the address the client
// gave, so a quoted '@' is judged as the routing character it is rather than refused as garbage.
// A source route ("@a:u@b") passes unchanged: parse_address judges its final address.
std::string external_form(std::string_view internal) {
    std::size_t at = internal.rfind('@');
    if (internal.empty() || internal.front() == '@' || at == std::string_view::npos) return std::string(internal);
    std::string_view local = internal.substr(0, at);
    if (is_dot_atom(local)) return std::string(internal);
    std::string out = "\"";
    for (char c : local) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"" + std::string(internal.substr(at));
}

PolicyDecision answer(const policy::Ruleset& rules, const Attributes& req, CertHandoff& handoff,
                      std::chrono::steady_clock::time_point now) {
    const std::string* request = req.find("request");
    if (!request) return decide(dunno, "warning: policy request without a request attribute: DUNNO");
    if (*request != "smtpd_access_policy")
        return decide(dunno, "warning: policy request " + quote_text(*request) + " is not smtpd_access_policy: DUNNO");

    LogDetail detail;
    std::string error;
    auto facts = session_facts_from(req, error);
    if (!facts) return decide(dunno, "warning: " + log_line(req, dunno, error, detail));
    detail.facts = &*facts;

    // The hand-off is a fact about the connection, recorded whatever the state and the verdict.
    auto key = make_connection_key(req.get("client_address"), req.get("client_port"), req.get("server_address"),
                                   req.get("server_port"));
    if (key) handoff.record(*key, handoff_from(*facts, now));
    detail.unkeyed = !key;

    std::string_view state = req.get("protocol_state");
    if (state != "RCPT")
        return decide(dunno, log_line(req, dunno, "only RCPT is judged, not " + quote_text(state), detail));

    auto connect = policy::evaluate_connect(rules, *facts);
    if (connect.connector) detail.connector = connect.connector->name;
    mw::Address sender;
    if (req.get("sender").empty()) {
        sender.null = true;
    } else {
        auto parsed = parse_address(external_form(req.get("sender")));
        if (!parsed.address) return decide(dunno, log_line(req, dunno, "sender unparseable: " + parsed.error, detail));
        sender = *parsed.address;
    }
    auto recipient = parse_address(external_form(req.get("recipient")));
    if (!recipient.address)
        return decide(dunno, log_line(req, dunno, "recipient unparseable: " + recipient.error, detail));

    auto mail = policy::evaluate_mail(rules, *facts, connect, sender, size_param(req.get("size")));
    if (internal_error_verdict(mail.verdict)) {
        detail.rule = mail.verdict.rule;
        return decide(tempfail, log_line(req, tempfail, "MAIL failed: " + reply_text(mail.verdict), detail));
    }
    if (!mail.verdict.continues()) {
        detail.rule = mail.verdict.rule;
        return decide(dunno, log_line(req, dunno, "MAIL would be refused: " + reply_text(mail.verdict), detail));
    }
    // recipient_count is 0 at RCPT (Postfix fills it at DATA only); relay control does not depend
    // on it, and the milter enforces max_recipients itself.
    auto rcpt = policy::evaluate_rcpt(rules, *facts, mail.context, *recipient.address, 0);
    if (internal_error_verdict(rcpt.verdict)) {
        detail.rule = rcpt.verdict.rule;
        return decide(tempfail, log_line(req, tempfail, reply_text(rcpt.verdict), detail));
    }
    if (!rcpt.relay_granted) {
        detail.rule = rcpt.verdict.rule;
        return decide(dunno, log_line(req, dunno, reply_text(rcpt.verdict), detail));
    }
    bool relay_right = mail.context.rights & policy::bit(policy::Right::accept_any_recipient);
    detail.rule = "connector " + detail.connector + (relay_right ? ": accept-any-recipient" : ": accepted domain");
    return decide(ok, log_line(req, ok, "relay granted", detail));
}

}  // namespace

std::optional<policy::SessionFacts> session_facts_from(const Attributes& req, std::string& error) {
    policy::SessionFacts f;
    f.mta = policy::Mta::postfix;
    auto client = parse_ip(req.get("client_address"));
    if (!client) {
        error = "client_address " + quote_text(req.get("client_address")) + " is not an IP address";
        return std::nullopt;
    }
    f.client_address = *client;
    if (!req.get("client_name").empty()) f.client_name = std::string(req.get("client_name"));
    f.helo = std::string(req.get("helo_name"));
    if (!req.get("policy_context").empty()) f.daemon_name = std::string(req.get("policy_context"));
    // Unparseable local values stay unknown: the connector is then chosen by policy_context alone,
    // or none is, which answers DUNNO.
    f.local_address = parse_ip(req.get("server_address"));
    f.local_port = parse_port(req.get("server_port"));
    if (!req.get("sasl_username").empty()) {
        f.auth_login = std::string(req.get("sasl_username"));
        f.auth_mechanism = std::string(req.get("sasl_method"));  // "XCLIENT" after XCLIENT LOGIN
    }
    if (!req.get("encryption_protocol").empty()) {
        policy::TlsFacts tls;
        tls.version = std::string(req.get("encryption_protocol"));
        tls.cipher = std::string(req.get("encryption_cipher"));
        std::string_view subject = req.get("ccert_subject");
        std::string_view fingerprint = req.get("ccert_fingerprint");
        if (!subject.empty() || !fingerprint.empty()) {
            policy::PeerCertificate cert;
            cert.verified = !subject.empty();
            cert.subject = xtext::decode_lenient(subject);
            cert.issuer = cert.verified ? xtext::decode_lenient(req.get("ccert_issuer")) : std::string();
            // An MD5 or SHA-1 fingerprint (smtpd_tls_fingerprint_digest) matches no pin: left unknown.
            cert.sha256 = normalize_sha256(fingerprint);
            tls.cert = std::move(cert);
        }
        f.tls = std::move(tls);
    }
    return f;
}

PolicyDecision answer_policy_request(const policy::Ruleset& rules, const Attributes& request, CertHandoff& handoff,
                                     std::chrono::steady_clock::time_point now) noexcept {
    try {
        return answer(rules, request, handoff, now);
    } catch (const std::exception& e) {
        return decide(tempfail, "warning: policy request failed: " + printable(e.what()) + ": " + tempfail);
    } catch (...) {
        return decide(tempfail, std::string("warning: policy request failed: ") + tempfail);
    }
}

}  // namespace mw::postfix
