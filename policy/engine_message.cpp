// Message stage (end of message): size, header firewall, transport rules, then our stamps.
#include "policy/engine_internal.hpp"

namespace mw::policy {

namespace {

MessageResult message_impl(const Ruleset& rules, const SessionFacts& facts, const MailContext& ctx,
                           const std::vector<Address>& recipients, const HeaderFacts& headers, std::uint64_t size,
                           const MessageContent* content) {
    MessageResult r;
    if (detail::missing_context(ctx, r, "message")) return r;
    const ReceiveConnector& c = *ctx.connector;
    // SIZE= is only the client's claim; the real size decides (RFC 1870 section 6).
    if (size > c.max_message_size) {
        r.trace.push_back("message of " + std::to_string(size) + " bytes exceeds connector " + c.name +
                          " max_message_size " + std::to_string(c.max_message_size));
        r.verdict = make_reply(Action::reject, 552, "5.3.4", "Message size exceeds fixed maximum message size",
                               "connector " + c.name + ": max_message_size");
        return r;
    }
    r.verdict = make_reply(Action::accept, 250, "2.0.0", "Ok", "");
    detail::MessageState state(headers);
    detail::header_firewall(rules, ctx.rights, state, r.trace);
    detail::apply_transport_rules(rules, facts, ctx, recipients, size, content, state, r);

    r.header_edits = detail::removal_edits(state);  // every removal before any addition (README "Headers")
    r.header_edits.insert(r.header_edits.end(), state.additions.begin(), state.additions.end());
    if (r.verdict.action == Action::accept || r.verdict.action == Action::quarantine) {
        auto ours = detail::stamps(rules, facts, ctx, r.trace);
        r.header_edits.insert(r.header_edits.end(), ours.begin(), ours.end());
    }
    r.trace.push_back("message: " + std::string(to_string(r.verdict.action)) + " " + std::to_string(r.verdict.code) +
                      " " + r.verdict.status + " " + r.verdict.text);
    return r;
}

}  // namespace

MessageResult evaluate_message(const Ruleset& rules, const SessionFacts& facts, const MailContext& context,
                               const std::vector<Address>& recipients, const HeaderFacts& headers,
                               std::uint64_t size, const MessageContent* content) noexcept {
    return detail::guarded_stage<MessageResult>(
        "end of message", [&] { return message_impl(rules, facts, context, recipients, headers, size, content); });
}

}  // namespace mw::policy
