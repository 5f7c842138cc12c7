// The SMTP server's decision lines, in the one format of frontdoor/decision_log.hpp: what a session
// knows turned into a frontdoor::Decision. A free function of plain values, so a test can hold it
// side by side with the milter's (milter/milter_log.hpp) for the same decision.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/decision.hpp"
#include "policy/facts.hpp"
#include "policy/ruleset.hpp"

namespace mw::smtp::server {

struct SessionLogView {
    std::string_view queue_id;                            // "" before the queue gave one
    std::string_view client;                              // "name[address]"
    const policy::SessionFacts* facts = nullptr;          // HELO, TLS, login
    const policy::ReceiveConnector* connector = nullptr;  // null when none serves the client
    bool esmtp = true;                                    // EHLO (ESMTP) or HELO (SMTP)
};

// `from` is the sender as the client wrote it (nullopt before MAIL), `to` the recipients (one at
// RCPT, every recipient at the end of the message).
std::string decision_line(const SessionLogView& view, std::string_view stage, const policy::Verdict& v,
                          std::optional<std::string_view> from, std::vector<std::string> to);

}  // namespace mw::smtp::server
