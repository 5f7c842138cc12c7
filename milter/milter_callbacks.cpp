// libmilter callbacks: each is a noexcept trampoline (docs/conventions.md "Front doors are thin") that reads macros into facts,
// asks the engine, and answers with smfi_* calls. An exception or a missing session never crosses
// into C and never accepts: it answers 451 4.3.0 (tempfail).
#include <arpa/inet.h>
#include <libmilter/mfapi.h>
#include <netinet/in.h>

#include <cstring>
#include <memory>
#include <string>

#include "frontdoor/message_content.hpp"
#include "frontdoor/message_result.hpp"
#include "milter/header_plan.hpp"
#include "milter/macro_facts.hpp"
#include "milter/macro_lists.hpp"
#include "milter/milter_log.hpp"
#include "milter/milter_service.hpp"
#include "milter/milter_session.hpp"
#include "milter/reply_text.hpp"

namespace mw::milter {

namespace {

MilterHooks g_hooks;
MilterCounters* g_counters = nullptr;
std::atomic<bool> g_draining{false};

void log_line(std::string_view line) {
    if (g_hooks.log) g_hooks.log(line);
}

MilterSession* session_of(SMFICTX* ctx) { return static_cast<MilterSession*>(smfi_getpriv(ctx)); }

std::optional<std::string> macro(SMFICTX* ctx, const char* name) {
    const char* v = smfi_getsymval(ctx, const_cast<char*>(name));
    if (!v) return std::nullopt;
    return std::string(v);
}

MacroLookup lookup_for(SMFICTX* ctx) {
    return [ctx](const char* name) { return macro(ctx, name); };
}

// Answers a refusal with its exact code: libmilter drops a reply whose class does not match the
// return value, so the return value follows the code.
sfsistat answer(SMFICTX* ctx, const policy::Verdict& v) {
    if (v.code >= 200 && v.code < 400) return SMFIS_CONTINUE;
    std::string code = std::to_string(v.code);
    const MilterSession* s = session_of(ctx);
    std::string text = reply_text(s ? s->facts.mta : policy::Mta::standalone, v.code, v.text);
    if (smfi_setreply(ctx, code.data(), const_cast<char*>(v.status.c_str()), text.data()) != MI_SUCCESS) {
        // Refused (e.g. too long): a short text keeps the exact code, and the log stays true.
        char fallback[] = "Refused by policy";
        smfi_setreply(ctx, code.data(), const_cast<char*>(v.status.c_str()), fallback);
    }
    return v.code >= 500 ? SMFIS_REJECT : SMFIS_TEMPFAIL;
}

sfsistat internal_failure(SMFICTX* ctx, const char* stage) noexcept {
    if (g_counters) g_counters->internal_errors++;
    try {
        log_line(std::string("warning: milter: internal error at ") + stage + ": answering 451 4.3.0");
    } catch (...) {
    }
    // No allocation here: this also answers when memory ran out.
    char code[] = "451", status[] = "4.3.0", text[] = "Temporary policy failure";
    smfi_setreply(ctx, code, status, text);
    return SMFIS_TEMPFAIL;
}

void refresh_session_facts(SMFICTX* ctx, MilterSession& s) {
    s.facts.tls = tls_facts(s.facts.mta, lookup_for(ctx));
    auto login = macro(ctx, "{auth_authen}");
    if (login && !login->empty()) {
        s.facts.auth_login = *login;
        s.facts.auth_mechanism = macro(ctx, "{auth_type}").value_or("");
    } else {
        s.facts.auth_login.reset();
        s.facts.auth_mechanism.clear();
    }
}

void refresh_queue_id(SMFICTX* ctx, MilterSession& s) {
    if (auto id = macro(ctx, "i"); id && !id->empty()) s.queue_id = *id;
}

std::optional<std::uint64_t> size_parameter(char** argv) {
    for (char** a = argv ? argv + 1 : nullptr; a && *a; ++a) {
        if (strncasecmp(*a, "SIZE=", 5) != 0) continue;
        char* end = nullptr;
        unsigned long long v = std::strtoull(*a + 5, &end, 10);
        if (end && *end == '\0' && end != *a + 5) return v;
    }
    return std::nullopt;
}

std::string address_text(const char* raw) {
    std::string s = raw ? raw : "";
    if (s.size() >= 2 && s.front() == '<' && s.back() == '>') s = s.substr(1, s.size() - 2);
    return s;
}

// --- callbacks ---------------------------------------------------------------------------------

sfsistat on_negotiate(SMFICTX* ctx, unsigned long f0, unsigned long f1, unsigned long /*f2*/,
                      unsigned long /*f3*/, unsigned long* pf0, unsigned long* pf1, unsigned long* pf2,
                      unsigned long* pf3) noexcept {
    unsigned long wanted = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_ADDRCPT | SMFIF_DELRCPT | SMFIF_QUARANTINE;
    if ((f0 & wanted) != wanted) {
        log_line("warning: milter: the MTA does not offer the header/recipient actions mailwarden needs");
        return SMFIS_REJECT;  // libmilter then refuses the connection: the MTA's default action applies
    }
    // Steps we do not need, or that never refuse, without a reply: each saved round trip is time
    // Postfix's smtpd waits for (a reply per header line adds up). A refusal found there waits for
    // the next step that replies (failed_without_reply).
    constexpr unsigned long quiet_steps =
        SMFIP_NOEOH | SMFIP_NODATA | SMFIP_NOUNKNOWN | SMFIP_NR_HDR | SMFIP_NR_BODY | SMFIP_NR_HELO;
    MilterSession* s = session_of(ctx);
    if (!s) {
        try {
            auto owned = std::make_unique<MilterSession>();
            if (smfi_setpriv(ctx, owned.get()) != MI_SUCCESS) return SMFIS_REJECT;
            s = owned.release();  // owned by libmilter's context now; freed in on_close
        } catch (...) {
            return SMFIS_REJECT;
        }
    }
    *pf0 = wanted | (f0 & SMFIF_SETSYMLIST);
    *pf1 = f1 & quiet_steps;
    *pf2 = 0;
    *pf3 = 0;
    s->no_reply_steps = *pf1;
    if (f0 & SMFIF_SETSYMLIST) {
        // Request exactly the macros each stage needs (Postfix's defaults omit most of them).
        // libmilter copies the lists; it takes char* only for historical reasons.
        namespace lists = macro_lists;
        smfi_setsymlist(ctx, SMFIM_CONNECT, const_cast<char*>(lists::connect));
        smfi_setsymlist(ctx, SMFIM_HELO, const_cast<char*>(lists::helo));
        smfi_setsymlist(ctx, SMFIM_ENVFROM, const_cast<char*>(lists::envfrom));
        smfi_setsymlist(ctx, SMFIM_ENVRCPT, const_cast<char*>(lists::envrcpt));
        smfi_setsymlist(ctx, SMFIM_EOH, const_cast<char*>(lists::eoh));
        smfi_setsymlist(ctx, SMFIM_EOM, const_cast<char*>(lists::eom));
    }
    return SMFIS_CONTINUE;
}

std::optional<IpAddress> address_from(const _SOCK_ADDR* sa) {
    if (!sa) return std::nullopt;
    char buf[INET6_ADDRSTRLEN] = {};
    if (sa->sa_family == AF_INET) {
        ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, buf, sizeof buf);
    } else if (sa->sa_family == AF_INET6) {
        ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr, buf, sizeof buf);
    } else {
        return std::nullopt;
    }
    return parse_ip(buf);
}

sfsistat on_connect(SMFICTX* ctx, char* hostname, _SOCK_ADDR* hostaddr) noexcept {
    try {
        if (g_draining) {
            log_line(std::string("stopping: new session from ") + (hostname ? hostname : "unknown") +
                     " answered with tempfail");
            return SMFIS_TEMPFAIL;
        }
        MilterSession* existing = session_of(ctx);
        if (!existing) {  // an MTA that skipped negotiation
            auto owned = std::make_unique<MilterSession>();
            if (smfi_setpriv(ctx, owned.get()) != MI_SUCCESS) return internal_failure(ctx, "connect");
            existing = owned.release();  // owned by libmilter's context now; freed in on_close
        }
        MilterSession& s = *existing;
        s.counted = true;
        if (g_counters) {
            g_counters->sessions_total++;
            g_counters->sessions_active++;
        }
        s.rules = g_hooks.snapshot();
        s.facts.mta = identify_mta(macro(ctx, "v"));
        s.facts.daemon_name = macro(ctx, "{daemon_name}");
        s.key.client_port = macro(ctx, "{client_port}").value_or("");
        s.key.server_address = macro(ctx, "{daemon_addr}").value_or("");
        s.key.server_port = macro(ctx, "{daemon_port}").value_or("");
        if (!s.key.server_address.empty()) s.facts.local_address = parse_ip(s.key.server_address);
        if (!s.key.server_port.empty()) {
            unsigned long p = std::strtoul(s.key.server_port.c_str(), nullptr, 10);
            if (p > 0 && p < 65536) s.facts.local_port = static_cast<std::uint16_t>(p);
        }
        std::optional<IpAddress> client = address_from(hostaddr);
        if (!client) {
            if (auto a = macro(ctx, "{client_addr}")) client = parse_ip(*a);
        }
        s.facts.client_name = hostname && *hostname ? hostname : "unknown";
        if (!client || !s.rules) {
            // A client we cannot place fails closed; the refusal is answered at MAIL.
            s.client_text = s.facts.client_name + "[unknown]";
            s.connect.verdict = policy::internal_error("client address unknown");
            s.connect.answer_at_mail = true;
            log_line(decision_line(s, "CONNECT", s.connect.verdict, {}));
            return SMFIS_CONTINUE;
        }
        s.facts.client_address = *client;
        s.key.client_address = client->to_string();
        s.client_text = s.facts.client_name + "[" + s.key.client_address + "]";
        s.connect = policy::evaluate_connect(*s.rules, s.facts);
        if (!s.connect.verdict.continues())
            log_line(decision_line(s, "CONNECT", s.connect.verdict, {}));
        // The MTAs do not deliver connect-stage milter replies as such: the verdict waits for MAIL.
        return SMFIS_CONTINUE;
    } catch (...) {
        return internal_failure(ctx, "connect");
    }
}

// The answer of a step that may have been negotiated without a reply.
sfsistat quiet_continue(const MilterSession& s, unsigned long step) {
    return (s.no_reply_steps & step) ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

// A failure in such a step: remembered, and answered (451 4.3.0) at the next step that replies.
sfsistat quiet_failure(SMFICTX* ctx, MilterSession* s, unsigned long step, const char* stage) noexcept {
    if (!s || !(s->no_reply_steps & step)) return internal_failure(ctx, stage);
    if (g_counters) g_counters->internal_errors++;
    s->failed_without_reply = true;
    try {
        log_line(std::string("warning: milter: internal error at ") + stage +
                 ": the transaction will be answered 451 4.3.0");
    } catch (...) {
    }
    return SMFIS_NOREPLY;
}

sfsistat on_helo(SMFICTX* ctx, char* helo) noexcept {
    MilterSession* s = session_of(ctx);
    try {
        if (!s) return internal_failure(ctx, "HELO");
        s->facts.helo = helo ? helo : "";
        refresh_session_facts(ctx, *s);
        return quiet_continue(*s, SMFIP_NR_HELO);
    } catch (...) {
        return quiet_failure(ctx, s, SMFIP_NR_HELO, "HELO");
    }
}

sfsistat on_envfrom(SMFICTX* ctx, char** argv) noexcept {
    try {
        MilterSession* s = session_of(ctx);
        if (!s || s->failed_without_reply) return internal_failure(ctx, "MAIL");
        s->reset_transaction();
        refresh_session_facts(ctx, *s);
        refresh_queue_id(ctx, *s);
        s->sender_text = address_text(argv ? argv[0] : nullptr);
        if (!s->connect.verdict.continues()) {
            log_line(decision_line(*s, "MAIL", s->connect.verdict, {}));
            if (g_counters) g_counters->mail_refused++;
            return answer(ctx, s->connect.verdict);
        }
        auto parsed = mw::parse_address(s->sender_text.empty() ? "<>" : "<" + s->sender_text + ">");
        if (!parsed.address) {
            auto v = policy::make_reply(policy::Action::reject, 501, "5.1.7", "Bad sender address syntax",
                                        "sender syntax: " + parsed.error);
            log_line(decision_line(*s, "MAIL", v, {}));
            if (g_counters) g_counters->mail_refused++;
            return answer(ctx, v);
        }
        auto result = policy::evaluate_mail(*s->rules, s->facts, s->connect, *parsed.address, size_parameter(argv));
        log_line(decision_line(*s, "MAIL", result.verdict, {}));
        if (!result.verdict.continues()) {
            if (g_counters) g_counters->mail_refused++;
            return answer(ctx, result.verdict);
        }
        if (g_counters) g_counters->mail_accepted++;
        s->mail = std::move(result);
        s->keep_body = s->rules->needs_content && s->mail->context.connector;
        return SMFIS_CONTINUE;
    } catch (...) {
        return internal_failure(ctx, "MAIL");
    }
}

sfsistat on_envrcpt(SMFICTX* ctx, char** argv) noexcept {
    try {
        MilterSession* s = session_of(ctx);
        if (!s || !s->mail) return internal_failure(ctx, "RCPT");
        refresh_queue_id(ctx, *s);
        std::string rcpt_text = address_text(argv ? argv[0] : nullptr);
        auto parsed = mw::parse_address("<" + rcpt_text + ">");
        if (!parsed.address || parsed.address->null) {
            auto v = policy::make_reply(policy::Action::reject, 501, "5.1.3", "Bad recipient address syntax",
                                        "recipient syntax: " + parsed.error);
            log_line(decision_line(*s, "RCPT", v, {rcpt_text}));
            if (g_counters) g_counters->rcpt_refused++;
            return answer(ctx, v);
        }
        // Postfix mode: a pinned partner's certificate fingerprint is known only through the
        // policy service, which Postfix consulted for this very recipient a moment ago.
        if (s->mail->context.certificate_check_at_rcpt && g_hooks.enrich_at_rcpt)
            g_hooks.enrich_at_rcpt(s->key, s->facts);
        auto result = policy::evaluate_rcpt(*s->rules, s->facts, s->mail->context, *parsed.address, s->recipients.size());
        log_line(decision_line(*s, "RCPT", result.verdict, {rcpt_text}));
        if (!result.verdict.continues()) {
            if (g_counters) g_counters->rcpt_refused++;
            return answer(ctx, result.verdict);
        }
        if (g_counters) g_counters->rcpt_accepted++;
        frontdoor::add_recipient(s->recipients, *parsed.address);
        return SMFIS_CONTINUE;
    } catch (...) {
        return internal_failure(ctx, "RCPT");
    }
}

sfsistat on_header(SMFICTX* ctx, char* name, char* value) noexcept {
    MilterSession* s = session_of(ctx);
    try {
        if (!s) return internal_failure(ctx, "header");
        std::size_t n_len = name ? std::strlen(name) : 0, v_len = value ? std::strlen(value) : 0;
        s->header_bytes += n_len + v_len + 4;  // "Name: value\r\n"
        if (frontdoor::header_over_limit(s->headers.fields.size() + 1, s->header_bytes)) s->headers_over_limit = true;
        if (!s->headers_over_limit) s->headers.fields.push_back({std::string(name ? name : ""), std::string(value ? value : "")});
        return quiet_continue(*s, SMFIP_NR_HDR);
    } catch (...) {
        return quiet_failure(ctx, s, SMFIP_NR_HDR, "header");
    }
}

sfsistat on_body(SMFICTX* ctx, unsigned char* chunk, size_t len) noexcept {
    MilterSession* s = session_of(ctx);
    if (!s) return internal_failure(ctx, "body");
    s->body_bytes += len;
    try {
        if (s->keep_body && s->mail && chunk) {
            if (s->body.size() + len <= s->mail->context.connector->max_message_size) {
                s->body.append(reinterpret_cast<const char*>(chunk), len);
            } else {
                s->keep_body = false;  // refused for its size at end of message
                s->body.clear();
                s->body.shrink_to_fit();
            }
        }
        return quiet_continue(*s, SMFIP_NR_BODY);
    } catch (...) {
        return quiet_failure(ctx, s, SMFIP_NR_BODY, "body");
    }
}

bool apply_header_ops(SMFICTX* ctx, const std::vector<HeaderOp>& ops) {
    for (const auto& op : ops) {
        std::string name = op.name;
        std::string value = op.value.value_or("");
        int rc = MI_FAILURE;
        switch (op.kind) {
            case HeaderOp::Kind::change:
                rc = smfi_chgheader(ctx, name.data(), op.index, op.value ? value.data() : nullptr);
                break;
            case HeaderOp::Kind::insert_top: rc = smfi_insheader(ctx, 0, name.data(), value.data()); break;
            case HeaderOp::Kind::append: rc = smfi_addheader(ctx, name.data(), value.data()); break;
        }
        if (rc != MI_SUCCESS) return false;
    }
    return true;
}

sfsistat on_eom(SMFICTX* ctx) noexcept {
    try {
        MilterSession* s = session_of(ctx);
        if (!s || !s->mail || s->failed_without_reply) {
            if (s) s->reset_transaction();
            return internal_failure(ctx, "end of message");
        }
        refresh_queue_id(ctx, *s);
        if (s->headers_over_limit) {
            auto v = frontdoor::header_limit_verdict();
            log_line(decision_line(*s, "END-OF-MESSAGE", v, recipient_list(*s)));
            if (g_counters) g_counters->messages_refused++;
            s->reset_transaction();
            return answer(ctx, v);
        }
        std::uint64_t size = s->header_bytes + 2 + s->body_bytes;
        std::optional<policy::MessageContent> content;
        if (s->keep_body) {
            auto inspected = frontdoor::inspect_content(*s->rules, frontdoor::assemble_message(s->headers, s->body));
            if (!inspected) {
                log_line("warning: milter: MIME inspection failed: " + inspected.error().detail);
                s->reset_transaction();
                return internal_failure(ctx, "end of message (MIME inspection)");
            }
            content = std::move(*inspected);
            if (auto line = frontdoor::malformed_line(content, s->queue_id, s->client_text); !line.empty()) log_line(line);
        }
        auto result = policy::evaluate_message(*s->rules, s->facts, s->mail->context, s->recipients, s->headers, size,
                                               content ? &*content : nullptr);
        policy::Verdict v = frontdoor::message_verdict(result);
        if (v.action == policy::Action::reject || v.action == policy::Action::tempfail) {
            log_line(decision_line(*s, "END-OF-MESSAGE", v, recipient_list(*s)));
            if (g_counters) g_counters->messages_refused++;
            sfsistat rc = answer(ctx, v);
            s->reset_transaction();
            return rc;
        }
        if (v.action == policy::Action::discard) {
            log_line(decision_line(*s, "END-OF-MESSAGE", v, recipient_list(*s)));
            if (g_counters) g_counters->messages_discarded++;
            s->reset_transaction();
            return SMFIS_DISCARD;
        }
        // Accept or quarantine: apply every edit; a failed edit must not let a forged stamp through.
        if (!apply_header_ops(ctx, plan_header_ops(s->facts.mta, s->headers, result.header_edits)))
            return internal_failure(ctx, "end of message (header edit)");
        for (const auto& a : result.add_recipients) {
            std::string r = "<" + a.str() + ">";
            if (smfi_addrcpt(ctx, r.data()) != MI_SUCCESS) return internal_failure(ctx, "end of message (add recipient)");
        }
        for (const auto& a : result.remove_recipients) {
            std::string r = "<" + a.str() + ">";
            if (smfi_delrcpt(ctx, r.data()) != MI_SUCCESS) return internal_failure(ctx, "end of message (remove recipient)");
        }
        if (v.action == policy::Action::quarantine) {
            std::string reason = "mailwarden: " + (v.rule.empty() ? std::string("quarantine") : v.rule);
            if (smfi_quarantine(ctx, reason.data()) != MI_SUCCESS) return internal_failure(ctx, "end of message (quarantine)");
            if (g_counters) g_counters->messages_quarantined++;
        } else if (g_counters) {
            g_counters->messages_accepted++;
        }
        log_line(decision_line(*s, "END-OF-MESSAGE", v, recipient_list(*s)));
        s->reset_transaction();
        return SMFIS_CONTINUE;
    } catch (...) {
        return internal_failure(ctx, "end of message");
    }
}

sfsistat on_abort(SMFICTX* ctx) noexcept {
    if (MilterSession* s = session_of(ctx)) s->reset_transaction();
    return SMFIS_CONTINUE;
}

sfsistat on_close(SMFICTX* ctx) noexcept {
    // May arrive alone (the MTA gave up before connect): nothing to free then.
    std::unique_ptr<MilterSession> owned(session_of(ctx));
    smfi_setpriv(ctx, nullptr);
    if (owned && owned->counted && g_hooks.connection_closed) {
        try {
            g_hooks.connection_closed(owned->key);
        } catch (...) {
        }
    }
    if (owned && owned->counted && g_counters) g_counters->sessions_active--;
    return SMFIS_CONTINUE;
}

char filter_name[] = "mailwarden";

struct smfiDesc filter_description = {
    filter_name,
    SMFI_VERSION,
    SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_ADDRCPT | SMFIF_DELRCPT | SMFIF_QUARANTINE | SMFIF_SETSYMLIST,
    on_connect,
    on_helo,
    on_envfrom,
    on_envrcpt,
    on_header,
    nullptr,  // eoh
    on_body,
    on_eom,
    on_abort,
    on_close,
    nullptr,  // unknown
    nullptr,  // data
    on_negotiate,
};

}  // namespace

std::string milter_open(const MilterOptions& options, MilterHooks hooks, MilterCounters& counters) {
    g_hooks = std::move(hooks);
    g_counters = &counters;
    if (smfi_register(filter_description) != MI_SUCCESS) return "smfi_register failed";
    std::string conn = options.listen;
    if (smfi_setconn(conn.data()) != MI_SUCCESS) return "smfi_setconn failed for " + options.listen;
    smfi_settimeout(options.timeout_seconds);
    smfi_setbacklog(options.backlog);
    // true: remove a stale unix socket left by a previous run.
    if (smfi_opensocket(true) != MI_SUCCESS) return "cannot listen on " + options.listen;
    return "";
}

int milter_run() { return smfi_main(); }

void milter_drain() { g_draining = true; }

void milter_stop() { smfi_stop(); }

}  // namespace mw::milter
