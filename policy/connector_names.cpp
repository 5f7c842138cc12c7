#include "policy/connector_names.hpp"

#include <cctype>
#include <set>

#include "core/add_once.hpp"

namespace mw::policy {

std::map<const policy::ReceiveConnector*, std::string> derived_daemon_names(const policy::Ruleset& rules) {
    std::set<std::string> taken;
    for (const auto& c : rules.receive_connectors)
        if (c.daemon_name) taken.insert(*c.daemon_name);
    std::map<const policy::ReceiveConnector*, std::string> out;
    for (const auto& c : rules.receive_connectors) {
        if (c.daemon_name) continue;
        std::string base;
        for (char ch : c.name) {
            auto u = static_cast<unsigned char>(ch);
            if (std::isalnum(u) && u < 0x80) base += static_cast<char>(std::tolower(u));
            else if (!base.empty() && base.back() != '-') base += '-';
        }
        while (!base.empty() && base.back() == '-') base.pop_back();
        if (base.empty()) base = "connector";
        std::string name = base;
        for (int n = 2; taken.count(name); ++n) name = base + "-" + std::to_string(n);
        taken.insert(name);
        out[&c] = name;
    }
    return out;
}

ListenerNames listener_names(const std::vector<const ReceiveConnector*>& connectors,
                             const std::map<const ReceiveConnector*, std::string>& derived) {
    ListenerNames out;
    for (const auto* c : connectors) {
        if (c->daemon_name) add_once(out.explicit_names, *c->daemon_name);
        else out.unnamed.push_back(c);
    }
    out.name = out.explicit_names.empty() ? derived.at(connectors.front()) : out.explicit_names.front();
    return out;
}

}  // namespace mw::policy
