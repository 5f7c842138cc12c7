// The header firewall and our stamps (README "Headers"; docs/design.md decision 5: a forged "domain
// secure" or "AuthAs: Internal" never survives, because ours are added after every forgery is removed).
#include <algorithm>
#include <map>

#include "policy/engine_internal.hpp"

namespace mw::policy::detail {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// RFC 5322 CFWS: whitespace and (possibly nested) comments with quoted-pairs.
std::size_t skip_cfws(std::string_view v, std::size_t i) {
    while (i < v.size()) {
        if (is_space(v[i])) {
            ++i;
        } else if (v[i] == '(') {
            int depth = 0;
            for (; i < v.size(); ++i) {
                if (v[i] == '\\') {
                    ++i;
                } else if (v[i] == '(') {
                    ++depth;
                } else if (v[i] == ')' && --depth == 0) {
                    ++i;
                    break;
                }
            }
        } else {
            break;
        }
    }
    return i;
}

// Values we write into a header: never a CR, LF or other control byte from a client or the TLS stack.
std::string clean(std::string_view s) {
    std::string out;
    for (char c : s)
        if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) out += c;
    return out;
}

// RFC 8601 pvalue: the login as a token or local-part@domain when it is one, else a quoted-string.
std::string auth_value(std::string_view login) {
    std::string s = clean(login);
    auto plain = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               std::string_view("!#$%&'*+-.^_`{|}~@").find(c) != std::string_view::npos;
    };
    if (!s.empty() && std::all_of(s.begin(), s.end(), plain)) return s;
    std::string q = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') q += '\\';
        q += c;
    }
    return q + "\"";
}

const char* removal_reason(const Ruleset& rules, Rights rights, const HeaderField& f) {
    std::string_view name = field_name(f);
    if (!(rights & bit(Right::accept_organization_headers))) {
        if (istarts_with(name, "X-Mailwarden-") || istarts_with(name, "X-MS-Exchange-Organization-") ||
            istarts_with(name, "X-MS-Exchange-Forest-"))
            return "organization header, no accept-organization-headers";
        if (iequals(name, "Authentication-Results")) {
            std::string id = authserv_id(f.value);
            const auto& ours = rules.organization.authserv_ids;
            if (std::find(ours.begin(), ours.end(), id) != ours.end())
                return "our authserv-id, no accept-organization-headers";
        }
    }
    if (!(rights & bit(Right::accept_routing_headers))) {
        if (iequals(name, "Received") || istarts_with(name, "Resent-")) return "routing header, no accept-routing-headers";
    }
    return nullptr;
}

}  // namespace

std::string authserv_id(std::string_view value) {
    // RFC 8601 2.2: authserv-id = value, i.e. an RFC 2045 token or a quoted-string, after CFWS.
    std::size_t i = skip_cfws(value, 0);
    std::string id;
    if (i < value.size() && value[i] == '"') {
        bool closed = false;
        for (++i; i < value.size(); ++i) {
            if (value[i] == '"') {
                closed = true;
                break;
            }
            if (value[i] == '\\' && i + 1 < value.size()) ++i;
            id += value[i];
        }
        if (!closed) return "";  // not a value at all: not ours, the header stays
    } else {
        // A token ends at whitespace, a control byte or an RFC 2045 tspecial, so "mx.example.com,x"
        // and "mx.example.com/1" carry the id mx.example.com, as a verifier parsing the field reads it.
        constexpr std::string_view tspecials = "()<>@,;:\\\"/[]?=";
        for (; i < value.size(); ++i) {
            auto u = static_cast<unsigned char>(value[i]);
            if (u <= 0x20 || u == 0x7f || tspecials.find(value[i]) != std::string_view::npos) break;
            id += value[i];
        }
    }
    // A fully qualified spelling ("mx.example.com.") names the same host: one trailing dot goes.
    if (!id.empty() && id.back() == '.') id.pop_back();
    return lower(id);
}

std::string unfold(std::string_view value) {
    std::string out;
    for (char c : value)
        if (c != '\r' && c != '\n') out += c;
    return out;
}

std::string_view field_name(const HeaderField& f) {
    std::string_view n = f.name;
    while (!n.empty() && (n.back() == ' ' || n.back() == '\t')) n.remove_suffix(1);
    return n;
}

void header_firewall(const Ruleset& rules, Rights rights, MessageState& state, Trace& trace) {
    const auto& fields = state.headers.fields;
    for (std::size_t i = 0; i < fields.size(); ++i) {
        const char* why = removal_reason(rules, rights, fields[i]);
        if (!why) continue;
        state.removed[i] = state.firewalled[i] = true;
        trace.push_back("header firewall: removing " + std::string(field_name(fields[i])) + " (" + why + ")");
    }
}

std::vector<HeaderEdit> removal_edits(const MessageState& state) {
    // Per lower-cased name: the 1-based indexes to remove, and the name as it first arrived.
    std::map<std::string, std::vector<int>> indexes;
    std::map<std::string, std::string> spelling;
    std::vector<std::string> order;  // names in order of first arrival, for a stable output
    std::map<std::string, int> seen;
    const auto& fields = state.headers.fields;
    for (std::size_t i = 0; i < fields.size(); ++i) {
        std::string key = lower(field_name(fields[i]));
        int index = ++seen[key];
        if (!state.removed[i]) continue;
        if (!indexes.count(key)) {
            order.push_back(key);
            spelling[key] = std::string(field_name(fields[i]));
        }
        indexes[key].push_back(index);
    }
    std::vector<HeaderEdit> edits;
    for (const auto& key : order) {
        const auto& list = indexes[key];
        for (auto it = list.rbegin(); it != list.rend(); ++it)
            edits.push_back({HeaderEdit::Kind::remove, spelling[key], "", *it});
    }
    return edits;
}

std::vector<HeaderEdit> stamps(const Ruleset& rules, const SessionFacts& facts, const MailContext& ctx,
                               Trace& trace) {
    std::vector<HeaderEdit> out;
    auto add = [&](std::string name, std::string value) {
        trace.push_back("stamp " + name + ": " + value);
        out.push_back({HeaderEdit::Kind::add, std::move(name), std::move(value), 0});
    };
    if (ctx.domain_secure) {
        std::string version = facts.tls ? clean(facts.tls->version) : "unknown";
        std::string cipher = facts.tls ? clean(facts.tls->cipher) : "unknown";
        add("X-Mailwarden-Domain-Secure",
            "pass domain=" + *ctx.domain_secure + "; tls=" + version + "; cipher=" + cipher);
    }
    bool internal = has_group(ctx, PermissionGroup::servers);
    bool partner = !internal && !ctx.authenticated && has_group(ctx, PermissionGroup::partners);
    const char* auth_as = internal ? "Internal" : ctx.authenticated ? "Authenticated" : partner ? "Partner" : "Anonymous";
    add("X-Mailwarden-AuthAs", auth_as);
    if (ctx.authenticated && facts.auth_login) {
        add("Authentication-Results",
            clean(rules.organization.authserv_id) + "; auth=pass smtp.auth=" + auth_value(*facts.auth_login));
    }
    if (rules.organization.exchange_compatible_headers) {
        // An approximation of what Exchange stamps, so an Exchange server behind us classifies the
        // message as it would have itself: AuthAs as above; AuthDomain for a partner; AuthMechanism
        // "10" for a trusted server, "04" for SMTP AUTH over TLS, "0a" for a mutual-TLS partner.
        // Exchange's full table has more values; these are the ones our sessions can produce.
        add("X-MS-Exchange-Organization-AuthAs", auth_as);
        if (partner && ctx.domain_secure) add("X-MS-Exchange-Organization-AuthDomain", *ctx.domain_secure);
        const char* mechanism = internal                          ? "10"
                                : ctx.authenticated && facts.tls ? "04"
                                : partner                         ? "0a"
                                                                  : nullptr;
        if (mechanism) add("X-MS-Exchange-Organization-AuthMechanism", mechanism);
    }
    return out;
}

}  // namespace mw::policy::detail
