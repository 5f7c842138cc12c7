// The text of a refusal as libmilter must hand it to the MTA (smfi_setreply).
#pragma once

#include <string>
#include <string_view>

#include "policy/facts.hpp"

namespace mw::milter {

// - '%' doubled: Sendmail treats the text as a format string; doubled, it arrives as written
//   (addresses with the percent hack reach replies).
// - Sendmail itself puts "<address>... " after the enhanced status code of a 450, 550 or 553 reply at
//   MAIL and RCPT (observed on 8.17 for 550; its fmtmsg does so for 050, 250, 252, 450, 550 and 553
//   only). Our replies name the address the Postfix way, "<address>: text"; for those three codes
//   that prefix is dropped so
//   the client sees "550 5.1.1 <bob@example.com>... User unknown", not the address twice. Every other
//   code, and every other MTA, keeps the text as the rules say.
std::string reply_text(policy::Mta mta, int code, std::string_view text);

}  // namespace mw::milter
