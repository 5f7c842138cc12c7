// Turns the engine's header edits into milter header operations. Pure, so the index arithmetic
// is tested without an MTA.
//
// smfi_chgheader(name, index, NULL) deletes the index-th field of that name. Postfix renumbers the
// remaining same-named fields after each deletion, Sendmail does not (README "Headers"). Deleting
// the highest index first, and every deletion before any addition, gives the same result on both;
// a later change of a surviving field still needs each MTA's own numbering, computed here.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "policy/decision.hpp"
#include "policy/facts.hpp"

namespace mw::milter {

struct HeaderOp {
    enum class Kind {
        change,      // smfi_chgheader(name, index, value); value nullopt deletes
        insert_top,  // smfi_insheader(0, name, value): our stamps go on top, like Received
        append,      // smfi_addheader(name, value)
    } kind = Kind::append;
    std::string name;
    int index = 0;
    std::optional<std::string> value;
};

std::vector<HeaderOp> plan_header_ops(policy::Mta mta, const policy::HeaderFacts& original,
                                      const std::vector<policy::HeaderEdit>& edits);

}  // namespace mw::milter
