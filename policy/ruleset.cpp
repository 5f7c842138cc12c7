#include "policy/ruleset.hpp"

#include <algorithm>

namespace mw::policy {

const Group* Ruleset::find_group(std::string_view name) const {
    auto it = std::find_if(groups.begin(), groups.end(), [&](const Group& g) { return g.name == name; });
    return it == groups.end() ? nullptr : &*it;
}

const ReceiveConnector* Ruleset::find_receive_connector(std::string_view name) const {
    auto it = std::find_if(receive_connectors.begin(), receive_connectors.end(),
                           [&](const ReceiveConnector& c) { return c.name == name; });
    return it == receive_connectors.end() ? nullptr : &*it;
}

bool ReceiveConnector::has(AuthMechanism m) const {
    return std::find(auth.begin(), auth.end(), m) != auth.end();
}

}  // namespace mw::policy
