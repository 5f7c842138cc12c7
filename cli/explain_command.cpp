// `mailwarden explain`: evaluate a hypothetical session with the same engine the front doors use,
// send nothing, and say what would happen and why.
#include <charconv>
#include <cctype>
#include <fstream>
#include <iostream>
#include <iterator>

#include "cli/commands.hpp"
#include "cli/explain_report.hpp"
#include "core/fingerprint.hpp"
#include "frontdoor/message_content.hpp"
#include "mime/inspect.hpp"
#include "policy/address.hpp"
#include "policy/engine.hpp"
#include "smtp/server/message_headers.hpp"

namespace mw::cli {

namespace {

namespace fs = std::filesystem;
using namespace mw::policy;

Mta parse_mta(const std::string& text) {
    if (text == "standalone") return Mta::standalone;
    if (text == "postfix") return Mta::postfix;
    if (text == "sendmail") return Mta::sendmail;
    throw UsageError("option '--mta' must be standalone, postfix or sendmail, not '" + text + "'");
}

std::string sha256_option(const std::string& text) {
    FingerprintText f = read_fingerprint(text);
    if (!f.all_hex) throw UsageError("option '--cert-sha256' must be a SHA-256 fingerprint in hex, not '" + text + "'");
    if (!f.is_sha256())
        throw UsageError("option '--cert-sha256' must have 64 hex digits (32 bytes), not " + std::to_string(f.hex.size()));
    return f.hex;
}

// The certificate as the chosen front door would report it (README "mailwarden explain"): milters never see
// SANs; Postfix hands subject and issuer CNs only for verified certificates; the Postfix milter sees
// no fingerprint at MAIL (the engine takes it at RCPT, where the policy service hands it).
std::optional<PeerCertificate> certificate_from(const ParsedArgs& a, Mta mta) {
    bool any = a.has("cert-subject") || a.has("cert-issuer") || a.has("cert-verified") || a.has("cert-san") ||
               a.has("cert-sha256");
    if (!any) return std::nullopt;
    PeerCertificate cert;
    cert.subject = a.get_or("cert-subject", "");
    cert.issuer = a.get_or("cert-issuer", "");
    cert.verified = a.has("cert-verified");
    cert.sans = a.all("cert-san");
    if (auto fp = a.get("cert-sha256")) cert.sha256 = sha256_option(*fp);
    if (mta != Mta::standalone) cert.sans.clear();
    if (mta == Mta::postfix && !cert.verified) {
        cert.subject.clear();
        cert.issuer.clear();
    }
    return cert;
}

SessionFacts facts_from(const ParsedArgs& a, Mta mta) {
    SessionFacts facts;
    facts.mta = mta;
    auto client = a.get("client");
    if (!client) throw UsageError("option '--client IP' is required");
    auto ip = parse_ip(*client);
    if (!ip) throw UsageError("option '--client' needs an IP address, not '" + *client + "'");
    facts.client_address = *ip;
    facts.helo = a.get_or("helo", "");
    // The name the standalone server's reverse DNS would have confirmed (README "Reverse DNS").
    facts.client_name = a.get_or("client-name", "unknown");
    if (auto name = a.get("daemon-name")) facts.daemon_name = *name;
    if (auto local = a.get("local")) {
        auto ep = parse_endpoint(*local);
        if (!ep.endpoint || !ep.endpoint->address)
            throw UsageError("option '--local' needs ADDR:PORT (e.g. 127.0.0.1:25), not '" + *local + "'" +
                             (ep.error.empty() ? "" : ": " + ep.error));
        facts.local_address = ep.endpoint->address;
        facts.local_port = ep.endpoint->port;
    }
    if (a.has("tls")) {
        TlsFacts tls;
        tls.version = *a.get("tls");
        tls.cipher = a.get_or("cipher", "");
        if (auto bits = a.get("cipher-bits")) {
            int n = 0;
            auto [end, ec] = std::from_chars(bits->data(), bits->data() + bits->size(), n);
            if (ec != std::errc() || end != bits->data() + bits->size() || n <= 0 || n > 1024)
                throw UsageError("option '--cipher-bits' needs a number of bits such as 256, not '" + *bits + "'");
            tls.cipher_bits = n;
        }
        tls.cert = certificate_from(a, mta);
        facts.tls = std::move(tls);
    } else if (a.has("cipher") || a.has("cipher-bits") || certificate_from(a, mta)) {
        throw UsageError("certificate and cipher options describe a TLS session: give '--tls VERSION' too");
    }
    if (auto login = a.get("auth")) {
        facts.auth_login = *login;
        facts.auth_mechanism = mta == Mta::postfix ? "XCLIENT" : "PLAIN";
    }
    return facts;
}

HeaderFacts headers_from(const ParsedArgs& a) {
    HeaderFacts headers;
    for (const auto& h : a.all("header")) {
        auto colon = h.find(':');
        if (colon == std::string::npos || colon == 0)
            throw UsageError("option '--header' needs 'Name: value', not '" + h + "'");
        std::string value = h.substr(colon + 1);
        if (!value.empty() && value.front() == ' ') value.erase(0, 1);
        headers.fields.push_back({h.substr(0, colon), value});
    }
    return headers;
}

// --message FILE: a saved message (.eml, a Maildir file), LF or CRLF line ends; the engine sees it
// with CRLF, as it arrives over SMTP.
std::string read_message_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw UsageError("cannot read --message file '" + path + "'");
    std::string raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::string out;
    out.reserve(raw.size() + raw.size() / 32);
    for (std::size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] == '\n' && (i == 0 || raw[i - 1] != '\r')) out += '\r';
        out += raw[i];
    }
    if (!out.empty() && out.back() != '\n') out += "\r\n";
    return out;
}

// --connector NAME: the admin names the connector; the engine still applies its remote ranges.
ConnectResult connect_by_name(const Ruleset& rules, const SessionFacts& facts, const std::string& name) {
    const ReceiveConnector* c = rules.find_receive_connector(name);
    if (!c) {
        std::string known;
        for (const auto& rc : rules.receive_connectors) known += (known.empty() ? "" : ", ") + rc.name;
        throw UsageError("unknown receive connector '" + name + "' (known: " + known + ")");
    }
    return evaluate_connect_to(rules, facts, *c);
}

// A malformed address in a command gets the reply an MTA would give, not a crash or exit 2.
Verdict bad_syntax(bool sender, const std::string& given, const std::string& error) {
    return make_reply(Action::reject, 501, sender ? "5.1.7" : "5.1.3",
                      std::string("<") + given + ">: Bad " + (sender ? "sender" : "recipient") +
                          " address syntax (" + error + ")",
                      "address syntax");
}

// `--resolve`: the real MX and address lookups, with `[dns]` of mailwarden.toml, for every routed
// recipient. False (after a message) when the resolver cannot be set up.
bool resolve_routes(const ParsedArgs& a, const Ruleset& rules, ExplainReport& report) {
    auto config = load_config_for_command(a);
    if (!config) return false;
    std::vector<NextHop> hops;
    for (const auto& r : report.recipients)
        if (r.route) hops.push_back(r.route->nexthop);
    smtp::delivery::NextHopOptions options;
    if (!rules.organization.hostname.empty()) options.own_names = {rules.organization.hostname};
    auto resolved = smtp::delivery::resolve_next_hops_blocking(smtp::dns::resolver_config(config->dns), hops, options,
                                                               std::chrono::seconds(10));
    if (!resolved) {
        std::cerr << "mailwarden explain: cannot resolve: " << resolved.error().detail << "\n";
        return false;
    }
    std::size_t next = 0;
    for (auto& r : report.recipients)
        if (r.route) r.resolved = std::move(resolved->at(next++));
    return true;
}

void take_trace(Trace& into, const Trace& from) { into.insert(into.end(), from.begin(), from.end()); }

int explain_command(const ParsedArgs& a) {
    if (!a.positional.empty()) throw UsageError("unexpected argument '" + a.positional.front() + "'");
    int selectors = a.has("connector") + a.has("daemon-name") + a.has("local");
    if (selectors != 1) throw UsageError("give exactly one of --connector NAME, --daemon-name NAME, --local ADDR:PORT");
    // A daemon name only means something to a milter: default to Postfix's view then.
    Mta mta = a.has("mta") ? parse_mta(*a.get("mta")) : a.has("daemon-name") ? Mta::postfix : Mta::standalone;
    auto from = a.get("from");
    if (!from) throw UsageError("option '--from ADDR' is required ('<>' for the null sender)");
    auto to = a.all("to");
    if (to.empty()) throw UsageError("option '--to ADDR...' is required");
    SessionFacts facts = facts_from(a, mta);
    if (a.has("message") && a.has("header")) throw UsageError("give either --message FILE or --header, not both");
    std::optional<std::string> message_file;
    if (auto path = a.get("message")) message_file = read_message_file(*path);
    HeaderFacts headers = message_file ? smtp::server::parse_headers(*message_file).facts : headers_from(a);
    std::optional<std::uint64_t> size_param;
    if (auto s = a.get("size-param")) size_param = parse_count("size-param", *s);
    std::optional<std::uint64_t> size;
    if (auto s = a.get("size")) size = parse_count("size", *s);

    fs::path rules_dir = a.get_or("rules", default_rules_dir().string());
    fs::path state_dir = a.get_or("state-dir", default_state_dir().string());
    auto loaded = load_rules_for_command(rules_dir, state_dir, false);
    if (!loaded.ok()) {
        std::cerr << "mailwarden explain: the rules have errors; nothing evaluated\n";
        return 2;
    }
    const Ruleset& rules = *loaded.ruleset;

    ExplainReport report;
    ConnectResult connect = a.has("connector") ? connect_by_name(rules, facts, *a.get("connector"))
                                               : evaluate_connect(rules, facts);
    take_trace(report.trace, connect.trace);
    report.connect = connect.verdict;
    if (connect.connector) report.connector = connect.connector->name;
    if (!connect.verdict.continues() && !connect.answer_at_mail) {
        std::cout << (a.has("json") ? render_json(report) : render_text(report));
        return 0;
    }

    Address null_sender;
    null_sender.null = true;
    auto sender = *from == "<>" ? AddressParse{null_sender, ""} : parse_address(*from);
    report.mail_from = sender.address ? sender.address->str() : *from;
    if (!sender.address) {
        report.mail = bad_syntax(true, *from, sender.error);
        std::cout << (a.has("json") ? render_json(report) : render_text(report));
        return 0;
    }
    MailResult mail = evaluate_mail(rules, facts, connect, *sender.address, size_param);
    take_trace(report.trace, mail.trace);
    report.mail = mail.verdict;

    std::vector<Address> accepted;
    if (mail.verdict.continues()) {
        for (const auto& text : to) {
            auto rcpt = parse_address(text);
            if (!rcpt.address) {
                report.recipients.push_back({text, bad_syntax(false, text, rcpt.error), std::nullopt, std::nullopt});
                continue;
            }
            RcptResult result = evaluate_rcpt(rules, facts, mail.context, *rcpt.address, accepted.size());
            take_trace(report.trace, result.trace);
            if (result.verdict.continues()) accepted.push_back(*rcpt.address);
            report.recipients.push_back({rcpt.address->str(), result.verdict, result.route, std::nullopt});
        }
    }
    if (a.has("resolve") && !resolve_routes(a, rules, report)) return 2;
    for (auto g : mail.context.groups) report.groups.push_back(to_string(g));
    for (int i = 0; i < right_count; ++i)
        if (mail.context.rights & bit(static_cast<Right>(i))) report.rights.push_back(to_string(static_cast<Right>(i)));

    if (!accepted.empty()) {
        // Without --message, the message is its header section (what explain was given), and it is
        // inspected as such: content conditions then see a message without parts of interest.
        std::string message = message_file ? *message_file : frontdoor::assemble_message(headers, "");
        auto content = mime::inspect(message, rules.mime);
        if (!content) {
            std::cerr << "mailwarden explain: the MIME inspection failed: " << content.error().detail << "\n";
            return 2;
        }
        report.message = evaluate_message(rules, facts, mail.context, accepted, headers, size.value_or(message.size()),
                                          &*content);
        take_trace(report.trace, report.message->trace);
        if (message_file) report.content = std::move(*content);
    }
    std::cout << (a.has("json") ? render_json(report) : render_text(report));
    return 0;
}

}  // namespace

CommandSpec explain_spec() {
    using Count = OptionSpec::Count;
    return {
        .name = "explain",
        .summary = "what would happen to a hypothetical message, and why: the engine the\n"
                   "front doors use, sending nothing",
        .options =
            {
                rules_option(),
                state_dir_option(),
                {"connector", "NAME", "judge as this receive connector (its remote ranges still apply)"},
                {"daemon-name", "NAME", "pick the connector as a milter does, by Postfix's daemon_name\n"
                                        "(implies --mta postfix)"},
                {"local", "ADDR:PORT", "pick the connector as the standalone server does, by the address\n"
                                       "the client connected to"},
                {"client", "IP", "the client's address (required)"},
                {"client-name", "NAME", "the client's confirmed reverse-DNS name (default unknown)"},
                {"helo", "NAME", "the HELO/EHLO name"},
                {"tls", "VERSION", "the session is TLS with this protocol version (TLSv1.3)"},
                {"cipher", "NAME", "the TLS cipher"},
                {"cipher-bits", "N", "the TLS cipher's strength in bits (256)"},
                {"cert-subject", "DN", "the client certificate's subject"},
                {"cert-issuer", "DN", "the client certificate's issuer"},
                {"cert-verified", "", "the client certificate verified"},
                {"cert-san", "NAME...", "the client certificate's subject alternative names", Count::multi},
                {"cert-sha256", "HEX", "the client certificate's SHA-256 fingerprint (64 hex digits)"},
                {"auth", "USER", "the client authenticated as USER"},
                {"from", "ADDR", "the MAIL FROM address, '<>' for the null sender (required)"},
                {"to", "ADDR...", "the RCPT TO addresses (required)", Count::multi},
                {"header", "'Name: value'", "a header field of the message; may be repeated", Count::repeatable},
                {"message", "FILE", "a saved message (.eml): its header and content are judged"},
                {"size", "BYTES", "the message's size (default: the size of --message FILE or of the\n"
                                  "given headers)"},
                {"size-param", "BYTES", "the SIZE= parameter of MAIL FROM"},
                {"mta", "standalone|postfix|sendmail",
                 "evaluate with what that front door can know (default standalone,\n"
                 "postfix with --daemon-name)"},
                {"json", "", "print the report as JSON"},
                {"resolve", "", "look up the MX and address records of each routed recipient (with\n"
                                "[dns] of --config) and list the addresses in the order delivery\n"
                                "would try them"},
                config_option(),
            },
        .run = explain_command,
        .footer = "Give exactly one of --connector, --daemon-name and --local.\n"
                  "Exit status 0 whatever the verdict, 2 on bad arguments or bad rules.",
    };
}

}  // namespace mw::cli
