// The forged-stamp message every MTA suite sends through mailwarden, and what the next hop must and
// must not see, so the Postfix and Sendmail suites check the header firewall the same way.
#pragma once

#include <string>
#include <vector>

namespace mw::itest {

// Headers an outsider adds to pose as us: three copies of our AuthAs stamp (two spellings of the
// name: Postfix renumbers same-named fields after each deletion, Sendmail does not), our
// Domain-Secure stamp, an Authentication-Results with our authserv-id, and another organization's
// Authentication-Results, which is not ours to remove.
const std::vector<std::string>& forged_stamp_headers();

// What is wrong with `delivered` (the message as the next hop received it, sent anonymously with
// forged_stamp_headers()): each forged stamp left in, our own AuthAs stamp missing or doubled, the
// other organization's header gone. Empty when the firewall did its job.
std::vector<std::string> forged_stamp_problems(const std::string& delivered);

}  // namespace mw::itest
