// What `mailwarden explain` found, stage by stage, and its two renderings (text for admins, JSON
// for scripts; the JSON shape is the contract in README "mailwarden explain").
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "policy/engine.hpp"
#include "smtp/delivery/next_hop_resolution.hpp"

namespace mw::cli {

struct RecipientReport {
    std::string address;  // as normalized, or as given when malformed
    policy::Verdict verdict;
    std::optional<policy::Route> route;
    // `--resolve`: the addresses delivery would try, in order, or why there are none.
    std::optional<smtp::delivery::ResolvedNextHop> resolved;
};

struct ExplainReport {
    std::optional<std::string> connector;
    std::vector<std::string> groups;
    std::vector<std::string> rights;
    policy::Verdict connect;
    std::optional<policy::Verdict> mail;  // null when never reached
    std::string mail_from;
    std::vector<RecipientReport> recipients;
    std::optional<policy::MessageResult> message;  // null when no recipient was accepted
    std::optional<policy::MessageContent> content;  // the MIME inspection of --message FILE
    policy::Trace trace;
};

std::string render_json(const ExplainReport& report);
std::string render_text(const ExplainReport& report);

}  // namespace mw::cli
