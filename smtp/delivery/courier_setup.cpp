#include "smtp/delivery/courier_setup.hpp"

#include "smtp/delivery/lmtp_courier.hpp"
#include "smtp/delivery/maildir_courier.hpp"

namespace mw::smtp::delivery {

Couriers make_couriers(const DeliveryConfig& config) {
    Couriers couriers;
    if (!config.lmtp.empty()) {
        LmtpOptions o;
        o.address = config.lmtp;
        o.lhlo_name = config.hostname.empty() ? "localhost" : config.hostname;
        couriers.local = std::make_shared<LmtpCourier>(std::move(o));
    } else {
        couriers.local = std::make_shared<MaildirCourier>(config.maildir, config.hostname);
    }
    return couriers;
}

}  // namespace mw::smtp::delivery
