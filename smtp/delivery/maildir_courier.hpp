// The Maildir courier (README "Local delivery"): each recipient gets its own copy in the Maildir its
// address names (mailbox_name.hpp), written by MaildirWriter.
#pragma once

#include <string>

#include "smtp/delivery/courier.hpp"
#include "smtp/delivery/maildir_writer.hpp"

namespace mw::smtp::delivery {

class MaildirCourier final : public Courier {
public:
    // `path_template` as in `[delivery] maildir`; `hostname` goes into file names.
    MaildirCourier(std::string path_template, std::string hostname);

    // 550 5.1.3 "bad recipient address syntax" for a local part that cannot name a mailbox
    // directory (mailbox_user() says which).
    std::optional<DeliveryOutcome> check_recipient(const Address& recipient) const override;
    std::vector<DeliveryOutcome> deliver(const CourierMessage& message,
                                         const std::vector<CourierRecipient>& recipients) override;
    std::string relay_name() const override { return "local"; }
    bool remote_replies() const override { return false; }

private:
    MaildirWriter writer_;
};

}  // namespace mw::smtp::delivery
