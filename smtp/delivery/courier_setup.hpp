// The one place that turns `[delivery]` into couriers (README "Local delivery"): the local route
// goes to LMTP when `lmtp` is set, else to Maildir; nothing takes the outbound route yet. The
// delivery agent gets the result and knows no courier by name.
#pragma once

#include "smtp/delivery/courier.hpp"
#include "smtp/delivery/delivery_agent.hpp"

namespace mw::smtp::delivery {

Couriers make_couriers(const DeliveryConfig& config);

}  // namespace mw::smtp::delivery
