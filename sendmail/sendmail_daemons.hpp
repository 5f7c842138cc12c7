// The listening part of `mailwarden export sendmail`: one DAEMON_OPTIONS per receive-connector
// binding, named with the connector's daemon_name (what Sendmail hands the milter as {daemon_name}),
// and Sendmail's SMTP AUTH as the connectors' `auth` asks.
#pragma once

#include <string>

#include "policy/ruleset.hpp"

namespace mw::sendmail {

// FEATURE(`no_default_msa') and the DAEMON_OPTIONS lines, with dnl notes. Throws ExportError for a
// daemon_name that cannot be a Sendmail daemon name.
std::string sendmail_daemons_section(const policy::Ruleset& rules);

// TRUST_AUTH_MECH, confAUTH_MECHANISMS and confAUTH_OPTIONS when a connector offers basic auth; a
// note otherwise.
std::string sendmail_auth_section(const policy::Ruleset& rules);

}  // namespace mw::sendmail
