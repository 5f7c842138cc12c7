// The master.cf part of `mailwarden export postfix`: one smtpd service per receive-connector binding.
#pragma once

#include <cstdint>
#include <string>

#include "policy/ruleset.hpp"

namespace mw::postfix {

struct MasterOptions {
    bool milter = true;          // name each service for the milter (milter_macro_daemon_name)
    bool policy_service = true;  // ... and for the policy service (smtpd_policy_service_policy_context)
};

// The lines after "# --- master.cf ---". Throws ExportError for a daemon_name master.cf cannot carry.
std::string master_cf_section(const policy::Ruleset& rules, const MasterOptions& options);

// The largest max_message_size among the receive connectors (0 when there are none): cleanup(8)
// enforces main.cf's message_size_limit for every service, so it must allow the largest.
std::uint64_t largest_message_size(const policy::Ruleset& rules);

}  // namespace mw::postfix
