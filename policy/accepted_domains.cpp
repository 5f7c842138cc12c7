#include "policy/accepted_domains.hpp"

#include "policy/matchers.hpp"

namespace mw::policy {

bool is_authoritative_domain(const Ruleset& rules, std::string_view normalized_domain) {
    const AcceptedDomain* ad = find_accepted_domain(rules, normalized_domain);
    return ad != nullptr && ad->type == DomainType::authoritative;
}

}  // namespace mw::policy
