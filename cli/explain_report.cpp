#include "cli/explain_report.hpp"

#include "core/quote_text.hpp"

#include <sstream>

#include "core/json_writer.hpp"
#include "postfix/postfix_maps.hpp"

namespace mw::cli {

namespace {

using policy::HeaderEdit;
using policy::Verdict;

void verdict_fields(JsonWriter& j, const Verdict& v) {
    j.key("action").value(policy::to_string(v.action));
    j.key("code").value(static_cast<std::int64_t>(v.code));
    j.key("status").value(v.status);
    j.key("text").value(v.text);
    j.key("rule");
    if (v.rule.empty()) j.null(); else j.value(v.rule);
}

void verdict_object(JsonWriter& j, const Verdict& v) {
    j.begin_object();
    verdict_fields(j, v);
    j.end_object();
}

// The route's TLS policy as typed values: `tls_policy` above is the same in Postfix's syntax.
void tls_object(JsonWriter& j, const policy::OutboundTls& tls) {
    std::vector<std::string> names;
    for (const auto& n : tls.names) names.push_back(n.domain.empty() ? "(next hop)" : (n.subdomains ? "." : "") + n.domain);
    j.begin_object();
    j.key("level").value(policy::to_string(tls.level));
    j.key("names").string_array(names);
    j.key("pins").string_array(tls.pins);
    j.key("client_certificate").value(tls.client_certificate);
    j.end_object();
}

const char* status_name(smtp::delivery::ResolvedNextHop::Status s) {
    using S = smtp::delivery::ResolvedNextHop::Status;
    return s == S::ok ? "ok" : s == S::temporary ? "temporary" : "permanent";
}

// `--resolve`: "hosts" in the order they would be tried, and the failure when there are none.
void resolved_fields(JsonWriter& j, const smtp::delivery::ResolvedNextHop& r) {
    j.key("resolve").value(status_name(r.status));
    j.key("mx_dnssec").value(r.mx_secure);
    j.key("hosts").begin_array();
    for (const auto& t : r.targets) {
        j.begin_object();
        j.key("host").value(t.host);
        j.key("address").value(t.address);
        j.key("port").value(static_cast<std::int64_t>(t.port));
        j.key("preference").value(static_cast<std::int64_t>(t.preference));
        j.key("dnssec").value(t.dnssec);
        j.end_object();
    }
    j.end_array();
    j.key("resolve_failure");
    if (r.status == smtp::delivery::ResolvedNextHop::Status::ok) j.null(); else j.value(r.failure.str());
}

void write_recipients(JsonWriter& j, const std::vector<RecipientReport>& recipients) {
    for (const auto& rcpt : recipients) {
        j.begin_object();
        j.key("address").value(rcpt.address);
        verdict_fields(j, rcpt.verdict);
        j.key("route");
        if (rcpt.route) {
            j.begin_object();
            j.key("send_connector").value(rcpt.route->send_connector);
            j.key("nexthop").value(rcpt.route->nexthop.str());
            j.key("tls_policy").value(postfix::tls_policy_text(rcpt.route->tls));
            tls_object(j.key("tls"), rcpt.route->tls);
            j.key("tls_set_by").value(rcpt.route->tls_set_by);
            j.key("hold").value(rcpt.route->hold);  // README "ETRN": waits for an ETRN
            if (rcpt.resolved) resolved_fields(j, *rcpt.resolved);
            j.end_object();
        } else {
            j.null();
        }
        j.end_object();
    }
}

std::string reply_line(const Verdict& v) {
    return std::to_string(v.code) + " " + v.status + " " + v.text;
}

std::string join(const std::vector<std::string>& items, const char* sep) {
    std::string out;
    for (const auto& item : items) {
        if (!out.empty()) out += sep;
        out += item;
    }
    return out;
}

}  // namespace

std::string render_json(const ExplainReport& r) {
    JsonWriter j;
    j.begin_object();
    j.key("connector").optional(r.connector);
    j.key("groups").string_array(r.groups);
    j.key("rights").string_array(r.rights);
    j.key("connect");
    verdict_object(j, r.connect);
    j.key("mail");
    if (r.mail) verdict_object(j, *r.mail); else j.null();
    // README "mailwarden explain": a stage never reached is null; RCPT is reached only after MAIL was accepted.
    j.key("recipients");
    if (!r.mail || !r.mail->continues()) {
        j.null();
    } else {
        j.begin_array();
        write_recipients(j, r.recipients);
        j.end_array();
    }
    j.key("message");
    if (r.message) {
        const auto& m = *r.message;
        j.begin_object();
        verdict_fields(j, m.verdict);
        j.key("headers_added").begin_array();
        for (const auto& e : m.header_edits) {
            if (e.kind != HeaderEdit::Kind::add && e.kind != HeaderEdit::Kind::set) continue;
            j.begin_object().key("name").value(e.name).key("value").value(e.value);
            j.key("replaces").value(e.kind == HeaderEdit::Kind::set).end_object();
        }
        j.end_array();
        j.key("headers_removed").begin_array();
        for (const auto& e : m.header_edits)
            if (e.kind == HeaderEdit::Kind::remove) j.value(e.name);
        j.end_array();
        // Which copy: 1-based among same-named fields, in the order a milter must delete them.
        j.key("header_removals").begin_array();
        for (const auto& e : m.header_edits)
            if (e.kind == HeaderEdit::Kind::remove)
                j.begin_object().key("name").value(e.name).key("index").value(static_cast<std::int64_t>(e.index)).end_object();
        j.end_array();
        j.key("subject_prefix");
        bool prefixed = false;
        for (const auto& e : m.header_edits)
            if (e.kind == HeaderEdit::Kind::prepend_subject) {
                j.value(e.value);
                prefixed = true;
                break;
            }
        if (!prefixed) j.null();
        j.key("recipients_added").begin_array();
        for (const auto& a : m.add_recipients) j.value(a.str());
        j.end_array();
        j.key("recipients_removed").begin_array();
        for (const auto& a : m.remove_recipients) j.value(a.str());
        j.end_array();
        j.key("rules_applied").string_array(m.rules_applied);
        j.end_object();
    } else {
        j.null();
    }
    j.key("content");
    if (r.content) {
        const auto& c = *r.content;
        j.begin_object().key("part_count").value(static_cast<std::int64_t>(c.part_count));
        j.key("parts").begin_array();
        for (const auto& p : c.parts) {
            j.begin_object().key("section").value(p.section).key("type").value(p.content_type);
            j.key("disposition").value(p.disposition).key("encoding").value(p.transfer_encoding);
            j.key("names").string_array(p.file_names);
            j.key("size").value(static_cast<std::int64_t>(p.decoded_size)).key("attachment").value(p.attachment);
            j.end_object();
        }
        j.end_array();
        j.key("body_text_bytes").value(static_cast<std::int64_t>(c.body_text.size()));
        j.key("malformed").string_array(c.malformed);
        j.end_object();
    } else {
        j.null();
    }
    j.key("trace").string_array(r.trace);
    j.end_object();
    return j.str() + "\n";
}

std::string render_text(const ExplainReport& r) {
    std::ostringstream out;
    out << "connector:  " << (r.connector ? *r.connector : "(none)") << "\n";
    if (r.connect.action != policy::Action::accept)
        out << "connect:    " << reply_line(r.connect) << "  [" << r.connect.rule << "]\n";
    if (!r.mail) {
        out << "MAIL:       not reached\n";
    } else {
        out << "groups:     " << (r.groups.empty() ? "(none)" : join(r.groups, ", ")) << "\n";
        out << "rights:     " << (r.rights.empty() ? "(none)" : join(r.rights, ", ")) << "\n";
        out << "MAIL FROM:<" << r.mail_from << ">\n    " << reply_line(*r.mail);
        if (!r.mail->rule.empty()) out << "  [" << r.mail->rule << "]";
        out << "\n";
    }
    for (const auto& rcpt : r.recipients) {
        out << "RCPT TO:<" << rcpt.address << ">\n    " << reply_line(rcpt.verdict);
        if (!rcpt.verdict.rule.empty()) out << "  [" << rcpt.verdict.rule << "]";
        out << "\n";
        if (rcpt.route)
            out << "    route: send connector " << rcpt.route->send_connector << " -> " << rcpt.route->nexthop.str()
                << " (TLS policy: " << postfix::tls_policy_text(rcpt.route->tls) << ", set by "
                << rcpt.route->tls_set_by << ")" << (rcpt.route->hold ? ", held for ETRN" : "") << "\n";
        if (rcpt.resolved) {
            if (rcpt.resolved->status != smtp::delivery::ResolvedNextHop::Status::ok)
                out << "    resolve: " << rcpt.resolved->failure.str() << "\n";
            for (std::size_t i = 0; i < rcpt.resolved->targets.size(); ++i) {
                const auto& t = rcpt.resolved->targets[i];
                out << "    try " << i + 1 << ": " << t.str();
                if (rcpt.route && !rcpt.route->smart_host()) out << " (MX " << t.preference << ")";
                out << (t.dnssec ? " dnssec" : "") << "\n";
            }
        }
    }
    if (r.message) {
        const auto& m = *r.message;
        out << "message (end of data):\n    " << reply_line(m.verdict);
        if (!m.verdict.rule.empty()) out << "  [" << m.verdict.rule << "]";
        out << "\n";
        for (const auto& e : m.header_edits) {
            switch (e.kind) {
                case HeaderEdit::Kind::remove:
                    out << "    - remove " << e.name << " (#" << e.index << ")\n";
                    break;
                case HeaderEdit::Kind::add: out << "    + " << e.name << ": " << e.value << "\n"; break;
                case HeaderEdit::Kind::set: out << "    = " << e.name << ": " << e.value << "\n"; break;
                case HeaderEdit::Kind::prepend_subject:
                    out << "    ~ Subject prefixed with \"" << e.value << "\"\n";
                    break;
            }
        }
        for (const auto& a : m.add_recipients) out << "    + recipient " << a.str() << "\n";
        for (const auto& a : m.remove_recipients) out << "    - recipient " << a.str() << "\n";
    } else if (r.mail) {
        out << "message:    not reached (no recipient accepted)\n";
    }
    if (r.content) {
        out << "content:    " << r.content->part_count << " MIME part(s), " << r.content->body_text.size()
            << " bytes of body text\n";
        for (const auto& p : r.content->parts) {
            out << "    part " << p.section << " " << p.content_type;
            for (const auto& n : p.file_names) out << " name=\"" << printable_text(n) << "\"";
            if (!p.container) out << ", " << p.decoded_size << " bytes";
            if (p.attachment) out << ", attachment";
            out << "\n";
        }
        for (const auto& why : r.content->malformed) out << "    malformed: " << printable_text(why) << "\n";
    }
    out << "trace:\n";
    for (const auto& line : r.trace) out << "  " << line << "\n";
    return out.str();
}

}  // namespace mw::cli
