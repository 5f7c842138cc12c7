#include "smtp/delivery/lmtp_courier.hpp"

namespace mw::smtp::delivery {

std::vector<DeliveryOutcome> LmtpCourier::deliver(const CourierMessage& message,
                                                  const std::vector<CourierRecipient>& recipients) {
    LmtpMessage m{message.sender, {}, message.body_8bit, message.smtputf8, message.data};
    m.recipients.reserve(recipients.size());
    for (const auto& r : recipients) m.recipients.push_back(r.address);
    return client_.deliver(m);
}

}  // namespace mw::smtp::delivery
