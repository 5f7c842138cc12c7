// Header edits -> milter operations: forged copies deleted highest index first, all deletions
// before additions, and changes use each MTA's own numbering (Postfix renumbers after deletions).
#define BOOST_TEST_MODULE header_plan
#include <boost/test/unit_test.hpp>

#include "milter/header_plan.hpp"

using namespace mw;
using namespace mw::milter;
using Edit = policy::HeaderEdit;
using Op = HeaderOp;

namespace {
policy::HeaderFacts headers(std::vector<std::pair<std::string, std::string>> fields) {
    policy::HeaderFacts h;
    for (auto& [n, v] : fields) h.fields.push_back({n, v});
    return h;
}
std::string show(const std::vector<Op>& ops) {
    std::string out;
    for (const auto& o : ops) {
        out += o.kind == Op::Kind::change ? "chg " : o.kind == Op::Kind::insert_top ? "ins " : "add ";
        out += o.name + "#" + std::to_string(o.index) + "=" + (o.value ? *o.value : "<delete>") + "; ";
    }
    return out;
}
}  // namespace

BOOST_AUTO_TEST_CASE(three_forged_copies_then_stamp) {
    auto h = headers({{"X-Mailwarden-AuthAs", "Internal"}, {"Subject", "s"}, {"x-mailwarden-authas", "Internal"},
                      {"X-MAILWARDEN-AUTHAS", "Partner"}});
    std::vector<Edit> edits = {{Edit::Kind::remove, "X-Mailwarden-AuthAs", "", 3},
                               {Edit::Kind::remove, "X-Mailwarden-AuthAs", "", 2},
                               {Edit::Kind::remove, "X-Mailwarden-AuthAs", "", 1},
                               {Edit::Kind::add, "X-Mailwarden-AuthAs", "Anonymous", 0}};
    std::string expected = "chg X-Mailwarden-AuthAs#3=<delete>; chg X-Mailwarden-AuthAs#2=<delete>; "
                           "chg X-Mailwarden-AuthAs#1=<delete>; ins X-Mailwarden-AuthAs#0=Anonymous; ";
    BOOST_TEST(show(plan_header_ops(policy::Mta::postfix, h, edits)) == expected);
    BOOST_TEST(show(plan_header_ops(policy::Mta::sendmail, h, edits)) == expected);
}

BOOST_AUTO_TEST_CASE(change_after_deletion_uses_the_mtas_numbering) {
    // Subject #1 is removed (say, by remove_header of a forged copy), the second Subject gets the prefix.
    auto h = headers({{"Subject", "forged"}, {"Subject", "real"}});
    std::vector<Edit> edits = {{Edit::Kind::remove, "Subject", "", 1}, {Edit::Kind::prepend_subject, "Subject", "[EXT] ", 0}};
    BOOST_TEST(show(plan_header_ops(policy::Mta::postfix, h, edits)) ==
               "chg Subject#1=<delete>; chg Subject#1=[EXT] real; ");
    BOOST_TEST(show(plan_header_ops(policy::Mta::sendmail, h, edits)) ==
               "chg Subject#1=<delete>; chg Subject#2=[EXT] real; ");
}

BOOST_AUTO_TEST_CASE(prepend_subject_without_subject_adds_one) {
    auto ops = plan_header_ops(policy::Mta::postfix, headers({{"From", "a@b"}}),
                               {{Edit::Kind::prepend_subject, "Subject", "[EXT] ", 0}});
    BOOST_TEST(show(ops) == "add Subject#0=[EXT] ; ");
}

BOOST_AUTO_TEST_CASE(set_header_keeps_one_copy) {
    auto h = headers({{"X-Tag", "a"}, {"X-Tag", "b"}, {"X-Tag", "c"}});
    auto ops = plan_header_ops(policy::Mta::postfix, h, {{Edit::Kind::set, "X-Tag", "new", 0}});
    BOOST_TEST(show(ops) == "chg X-Tag#3=<delete>; chg X-Tag#2=<delete>; chg X-Tag#1=new; ");
    auto absent = plan_header_ops(policy::Mta::postfix, headers({}), {{Edit::Kind::set, "X-Tag", "new", 0}});
    BOOST_TEST(show(absent) == "add X-Tag#0=new; ");
}

BOOST_AUTO_TEST_CASE(transport_rule_headers_are_appended_and_stamps_inserted) {
    auto ops = plan_header_ops(policy::Mta::postfix, headers({}),
                               {{Edit::Kind::add, "X-External", "yes", 0},
                                {Edit::Kind::add, "Authentication-Results", "mx.example.com; auth=pass smtp.auth=u", 0}});
    BOOST_TEST(show(ops) == "add X-External#0=yes; ins Authentication-Results#0=mx.example.com; auth=pass smtp.auth=u; ");
}
