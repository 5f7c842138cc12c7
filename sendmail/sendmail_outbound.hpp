// Outbound mail in `mailwarden export sendmail`: Sendmail's routes and TLS requirements live in
// /etc/mail/mailertable and /etc/mail/access, not in sendmail.mc, and Sendmail cannot ask mailwarden's
// socketmap for them (its answers are in Postfix's syntax), so the export prints the lines for those
// files as dnl notes.
#pragma once

#include <string>

#include "core/daemon_config.hpp"
#include "policy/ruleset.hpp"

namespace mw::sendmail {

// mailertable lines for smart-hosted send connectors; access-map TLS_Rcpt lines for tls_required
// send domains, domain-security send domains and send connectors that require TLS; smart-host
// credentials (authinfo) and our client certificate, as notes.
std::string sendmail_outbound_section(const policy::Ruleset& rules, const DaemonConfig& config);

}  // namespace mw::sendmail
