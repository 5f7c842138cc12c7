#include "smtp/delivery/mailbox_name.hpp"

#include "policy/accepted_domains.hpp"

namespace mw::smtp::delivery {

namespace {

bool mailbox_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '+' || c == '-';
}

}  // namespace

std::optional<std::string> mailbox_user(const Address& recipient) {
    if (recipient.null) return std::nullopt;
    std::string user;
    user.reserve(recipient.local.size());
    for (char c : recipient.local) {
        // Normalized local parts are already lower-case; lowering again keeps this rule true for
        // addresses built by hand.
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (!mailbox_char(c)) return std::nullopt;  // '/', quotes, '%', non-ASCII: never a path
        user.push_back(c);
    }
    // Empty, ".", ".." and dot files ("…/.Trash") are not mailboxes: a leading dot is refused.
    if (user.empty() || user.front() == '.') return std::nullopt;
    return user;
}

bool is_local_recipient(const policy::Ruleset& rules, const Address& recipient) {
    if (recipient.null || recipient.domain.empty()) return false;
    return policy::is_authoritative_domain(rules, recipient.domain);
}

}  // namespace mw::smtp::delivery
