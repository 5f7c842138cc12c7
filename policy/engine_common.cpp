// Session state every stage shares: permission groups and rights (README "Receive
// connectors and permission groups"), and the text of internal errors for the trace.
#include <algorithm>
#include <stdexcept>

#include "policy/engine_internal.hpp"

namespace mw::policy::detail {

void assign_groups(MailContext& context, bool tentative_partner) {
    const ReceiveConnector& c = *context.connector;
    // Membership as Exchange defines it; only the groups the connector lists count (and show).
    std::vector<PermissionGroup> members;
    members.push_back(context.authenticated ? PermissionGroup::users : PermissionGroup::anonymous);
    if (context.domain_secure || tentative_partner) members.push_back(PermissionGroup::partners);
    if (c.has(AuthMechanism::external_authoritative)) members.push_back(PermissionGroup::servers);

    context.groups.clear();
    Rights rights = 0;
    for (auto g : {PermissionGroup::anonymous, PermissionGroup::users, PermissionGroup::partners,
                   PermissionGroup::servers}) {
        bool member = std::find(members.begin(), members.end(), g) != members.end();
        bool listed = std::find(c.permission_groups.begin(), c.permission_groups.end(), g) != c.permission_groups.end();
        if (!member || !listed) continue;
        context.groups.push_back(g);
        rights |= default_rights(g);
    }
    context.rights = static_cast<Rights>((rights | c.grant) & ~c.deny & all_rights);
}

bool has_group(const MailContext& context, PermissionGroup g) {
    return std::find(context.groups.begin(), context.groups.end(), g) != context.groups.end();
}

std::string describe_rights(Rights rights) {
    std::string out;
    for (int i = 0; i < right_count; ++i) {
        auto r = static_cast<Right>(i);
        if (rights & bit(r)) out += (out.empty() ? "" : ", ") + std::string(to_string(r));
    }
    return out.empty() ? "none" : out;
}

std::string describe_groups(const std::vector<PermissionGroup>& groups) {
    std::string out;
    for (auto g : groups) out += (out.empty() ? "" : ", ") + std::string(to_string(g));
    return out.empty() ? "none" : out;
}

Verdict reply_from_template(const ReplyTemplate& t, std::string rule) {
    // Anything that is neither 4xx nor 5xx is a loader bug: make_reply turns it into 451 4.3.0.
    Action action = t.code / 100 == 4 ? Action::tempfail : Action::reject;
    return from_template(action, t, std::move(rule));
}

void trace_internal_error(Trace& trace, std::string_view stage) noexcept {
    try {
        std::string what = "unknown exception";
        try {
            if (auto e = std::current_exception()) std::rethrow_exception(e);
        } catch (const std::exception& ex) {
            what = ex.what();
        } catch (...) {
        }
        trace.push_back("internal error at " + std::string(stage) + ": " + what);
    } catch (...) {
        // Out of memory while describing a failure: the 451 verdict stands without the line.
    }
}

}  // namespace mw::policy::detail
