#include "smtp/delivery/maildir_courier.hpp"

#include "smtp/delivery/mailbox_name.hpp"

namespace mw::smtp::delivery {

MaildirCourier::MaildirCourier(std::string path_template, std::string hostname)
    : writer_(std::move(path_template), std::move(hostname)) {}

std::optional<DeliveryOutcome> MaildirCourier::check_recipient(const Address& recipient) const {
    if (mailbox_user(recipient)) return std::nullopt;
    return DeliveryOutcome::permanent("5.1.3", "bad recipient address syntax");
}

std::vector<DeliveryOutcome> MaildirCourier::deliver(const CourierMessage& message,
                                                     const std::vector<CourierRecipient>& recipients) {
    std::vector<DeliveryOutcome> out;
    out.reserve(recipients.size());
    for (const auto& r : recipients) {
        auto user = mailbox_user(r.parsed);
        // The agent asks check_recipient() first; this keeps a path out of any other caller's hands.
        if (!user) {
            out.push_back(*check_recipient(r.parsed));
            continue;
        }
        out.push_back(writer_.deliver(message.sender, r.address, r.parsed.domain, *user, message.data));
    }
    return out;
}

}  // namespace mw::smtp::delivery
