// [[delivery_restriction]], [[recipient_policy]] and [[send_as]].
#include "policy/loader_tables.hpp"

namespace mw::policy::loader {

void load_delivery_restriction(Context& ctx, const toml::table& table) {
    TableReader r(ctx, table, "[[delivery_restriction]]", {"name", "senders", "recipients", "action", "reply"});
    DeliveryRestriction d;
    d.loc = r.loc();
    d.name = read_unique_name(ctx, r, ctx.restriction_names, "delivery restriction name");
    ctx.attempt([&] { d.senders = as_pattern_list(ctx, r.require("senders"), "senders"); });
    ctx.attempt([&] { d.recipients = as_pattern_list(ctx, r.require("recipients"), "recipients"); });
    // action defaults to "reject": a restriction exists to restrict.
    r.with("action", [&](const toml::node& n) {
        d.allow = as_enum<bool>(n, "action", {{"reject", false}, {"allow", true}});
    });
    r.with("reply", [&](const toml::node& n) { d.reply = as_reply(n, "reply", "45"); });
    if (d.allow && d.reply) {
        ctx.warning(loc_of(*r.get("reply")), "'reply' has no effect on a delivery restriction with action = \"allow\"");
    }
    ctx.rules.delivery_restrictions.push_back(std::move(d));
}

void load_recipient_policy(Context& ctx, const toml::table& table) {
    TableReader r(ctx, table, "[[recipient_policy]]",
                  {"recipients", "accept_only_from", "reject_from", "require_authenticated_sender"});
    RecipientPolicy p;
    p.loc = r.loc();
    ctx.attempt([&] { p.recipients = as_pattern_list(ctx, r.require("recipients"), "recipients"); });
    // An empty accept_only_from is kept as given: nobody may send to these recipients.
    r.with("accept_only_from", [&](const toml::node& n) {
        p.accept_only_from = as_pattern_list(ctx, n, "accept_only_from", true, true);
    });
    r.with("reject_from", [&](const toml::node& n) { p.reject_from = as_pattern_list(ctx, n, "reject_from", true, true); });
    r.with("require_authenticated_sender", [&](const toml::node& n) {
        p.require_authenticated_sender = as_bool(n, "require_authenticated_sender");
    });
    if (!p.accept_only_from && p.reject_from.empty() && !p.require_authenticated_sender) {
        ctx.warning(p.loc, "this recipient policy restricts nothing: set accept_only_from, reject_from or "
                           "require_authenticated_sender");
    }
    ctx.rules.recipient_policies.push_back(std::move(p));
}

void load_send_as(Context& ctx, const toml::table& table) {
    TableReader r(ctx, table, "[[send_as]]", {"login", "addresses"});
    SendAs s;
    s.loc = r.loc();
    ctx.attempt([&] { s.login = as_nonempty_string(r.require("login"), "login"); });
    // Scopes are refused here: "any" would be accept-any-sender in disguise; grant that right instead.
    ctx.attempt([&] { s.addresses = as_pattern_list(ctx, r.require("addresses"), "addresses", false); });
    ctx.rules.send_as.push_back(std::move(s));
}

}  // namespace mw::policy::loader
