#include "smtp/delivery/courier.hpp"

#include "smtp/delivery/mailbox_name.hpp"

namespace mw::smtp::delivery {

std::optional<DeliveryOutcome> Courier::check_recipient(const Address&) const { return std::nullopt; }

RecipientRoute route_of(const policy::Ruleset& rules, const Address& recipient) {
    return is_local_recipient(rules, recipient) ? RecipientRoute::local : RecipientRoute::outbound;
}

}  // namespace mw::smtp::delivery
