// The LMTP courier (README "Local delivery"): every local recipient of a message in one LMTP
// transaction (LmtpClient), so the server stores the message once per mailbox and answers per
// recipient. It refuses nobody in advance: the LMTP server knows its users and says so at its RCPT.
#pragma once

#include "smtp/delivery/courier.hpp"
#include "smtp/delivery/lmtp_client.hpp"

namespace mw::smtp::delivery {

class LmtpCourier final : public Courier {
public:
    explicit LmtpCourier(LmtpOptions options) : client_(std::move(options)) {}

    std::vector<DeliveryOutcome> deliver(const CourierMessage& message,
                                         const std::vector<CourierRecipient>& recipients) override;
    std::string relay_name() const override { return client_.relay_name(); }
    bool remote_replies() const override { return true; }

private:
    LmtpClient client_;
};

}  // namespace mw::smtp::delivery
