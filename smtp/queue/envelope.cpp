#include <strings.h>

#include "smtp/queue/queue.hpp"

namespace mw::smtp::queue {

bool has_pending_recipient_in(const Envelope& envelope, std::string_view domain) {
    for (const auto& r : envelope.recipients) {
        if (r.state != RecipientState::pending) continue;
        const auto at = r.address.rfind('@');
        if (at == std::string::npos) continue;
        const std::string_view d = std::string_view(r.address).substr(at + 1);
        if (d.size() == domain.size() && ::strncasecmp(d.data(), domain.data(), d.size()) == 0) return true;
    }
    return false;
}

}  // namespace mw::smtp::queue
