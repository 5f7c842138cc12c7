// RFC 5322 date-time in UTC, "Mon, 23 Nov 2026 10:00:00 +0000": for Received: fields, DSNs and
// their Date: fields.
#pragma once

#include <cstdint>
#include <string>

namespace mw {

std::string rfc5322_date(std::int64_t unix_seconds);

}  // namespace mw
