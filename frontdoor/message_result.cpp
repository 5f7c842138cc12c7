#include "frontdoor/message_result.hpp"

#include <algorithm>
#include <string>

namespace mw::frontdoor {

bool header_over_limit(std::size_t fields, std::uint64_t bytes) {
    return fields > max_header_fields || bytes > max_header_bytes;
}

policy::Verdict header_limit_verdict() {
    return policy::make_reply(policy::Action::reject, 552, "5.3.4", "Message header size exceeds the limit",
                              "header limit: " + std::to_string(max_header_fields) + " fields, " +
                                  std::to_string(max_header_bytes) + " bytes");
}

policy::Verdict message_verdict(const policy::MessageResult& result) {
    policy::Verdict v = result.verdict;
    if (!result.rules_applied.empty() && v.rule.empty()) {
        std::string applied;
        for (const auto& r : result.rules_applied) applied += (applied.empty() ? "" : ",") + r;
        v.rule = "transport rules " + applied;
    }
    return v;
}

std::vector<Address> final_recipients(const std::vector<Address>& recipients, const policy::MessageResult& result) {
    std::vector<Address> out;
    for (const auto& r : recipients) {
        bool removed = std::find(result.remove_recipients.begin(), result.remove_recipients.end(), r) !=
                       result.remove_recipients.end();
        if (!removed) add_recipient(out, r);
    }
    for (const auto& a : result.add_recipients) add_recipient(out, a);
    return out;
}

}  // namespace mw::frontdoor
