// Names for the MTA's listeners of receive connectors that have no daemon_name: Postfix services and
// Sendmail daemons both need a name, and mailwarden's milter picks a connector by that name first.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "policy/ruleset.hpp"

namespace mw::policy {

// For each connector without daemon_name, a name made from the connector's name ("Internal relay"
// -> "internal-relay", ASCII letters and digits joined by "-"; "connector" when nothing is left),
// never equal to any connector's daemon_name or to another derived name: the milter would then pick
// that connector instead of matching by the daemon address and port.
std::map<const policy::ReceiveConnector*, std::string> derived_daemon_names(const policy::Ruleset& rules);

// The names of the connectors that share one MTA listener (a Postfix service, a Sendmail daemon):
// their explicit daemon_names (each once, in order), the connectors without one, and the name the
// listener gets: the first explicit name, else the derived name (above) of the first connector.
struct ListenerNames {
    std::vector<std::string> explicit_names;
    std::vector<const ReceiveConnector*> unnamed;
    std::string name;
};
ListenerNames listener_names(const std::vector<const ReceiveConnector*>& connectors,
                             const std::map<const ReceiveConnector*, std::string>& derived);

}  // namespace mw::policy
