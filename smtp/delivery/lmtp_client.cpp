#include "smtp/delivery/lmtp_client.hpp"

#include <exception>

#include "smtp/delivery/client_session.hpp"
#include "smtp/exception_text.hpp"

namespace mw::smtp::delivery {

LmtpClient::LmtpClient(LmtpOptions options) : options_(std::move(options)) {}

std::string LmtpClient::relay_name() const {
    std::string_view a = options_.address;
    if (auto colon = a.find(':'); colon != std::string_view::npos) a = a.substr(colon + 1);
    return "lmtp[" + std::string(a) + "]";
}

asio::awaitable<std::vector<DeliveryOutcome>> LmtpClient::async_deliver(const LmtpMessage& message) const {
    ClientOptions options;
    options.protocol = ClientProtocol::lmtp;
    options.helo_name = options_.lhlo_name;
    options.connect_timeout = options_.connect_timeout;
    options.command_timeout = options_.command_timeout;
    options.data_timeout = options_.data_timeout;
    // Named, not temporaries in the co_await expression: GCC 12 destroys some of those twice.
    ClientTransaction transaction;
    transaction.sender = message.sender;
    transaction.recipients = message.recipients;
    transaction.body_8bit = message.body_8bit;
    transaction.smtputf8 = message.smtputf8;
    transaction.data = message.data;
    std::string address = options_.address;
    co_return co_await deliver_to(std::move(address), std::move(options), std::move(transaction));
}

std::vector<DeliveryOutcome> LmtpClient::deliver(const LmtpMessage& message) const {
    asio::io_context io;
    std::vector<DeliveryOutcome> out;
    std::string failure;
    // docs/conventions.md "Errors": no exception leaves an Asio handler; one inside the session
    // (memory exhaustion) defers every recipient like a lost connection.
    asio::co_spawn(io, async_deliver(message), [&](std::exception_ptr e, std::vector<DeliveryOutcome> result) {
        if (!e) {
            out = std::move(result);
            return;
        }
        failure = exception_text(e);
    });
    try {
        io.run();
    } catch (const std::exception& x) {
        failure = x.what();
    } catch (...) {
        failure = "unknown exception";
    }
    if (out.size() != message.recipients.size()) {
        out.assign(message.recipients.size(), DeliveryOutcome::temporary("4.4.2", "lost connection with LMTP server",
                                                                         "internal error: " + failure));
    }
    return out;
}

}  // namespace mw::smtp::delivery
