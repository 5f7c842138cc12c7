// The per-command counts of Postfix's "disconnect from" line.
#define BOOST_TEST_MODULE smtp command stats
#include <boost/test/unit_test.hpp>

#include "smtp/server/command_stats.hpp"

using namespace mw::smtp::server;

namespace {

void run(CommandStats& stats, std::optional<Verb> verb, bool ok) {
    stats.attempted(verb);
    if (ok) stats.succeeded(verb);
}

}  // namespace

BOOST_AUTO_TEST_CASE(all_succeeded_shows_one_number_some_failed_shows_ok_of_total) {
    CommandStats stats;
    run(stats, Verb::ehlo, true);
    run(stats, Verb::mail, true);
    run(stats, Verb::rcpt, true);
    run(stats, Verb::rcpt, false);
    run(stats, Verb::data, true);
    run(stats, Verb::quit, true);
    BOOST_TEST(stats.format() == " ehlo=1 mail=1 rcpt=1/2 data=1 quit=1 commands=5/6");
}

BOOST_AUTO_TEST_CASE(a_session_without_commands) {
    BOOST_TEST(CommandStats().format() == " commands=0");
}

BOOST_AUTO_TEST_CASE(postfix_order_and_names_whatever_the_order_given) {
    CommandStats stats;
    run(stats, std::nullopt, false);
    run(stats, Verb::quit, true);
    run(stats, Verb::vrfy, true);
    run(stats, Verb::noop, true);
    run(stats, Verb::rset, true);
    run(stats, Verb::bdat, true);
    run(stats, Verb::bdat, true);
    run(stats, Verb::auth, false);
    run(stats, Verb::auth, true);
    run(stats, Verb::starttls, true);
    run(stats, Verb::ehlo, true);
    run(stats, Verb::ehlo, true);
    run(stats, Verb::helo, false);
    run(stats, Verb::help, true);
    run(stats, Verb::expn, false);
    BOOST_TEST(stats.format() ==
               " helo=0/1 ehlo=2 starttls=1 auth=1/2 bdat=2 rset=1 noop=1 vrfy=1 help=1 quit=1 unknown=0/2 commands=11/15");
}

BOOST_AUTO_TEST_CASE(all_failed) {
    CommandStats stats;
    run(stats, Verb::mail, false);
    run(stats, std::nullopt, false);
    BOOST_TEST(stats.format() == " mail=0/1 unknown=0/1 commands=0/2");
}

// Postfix counts ETRN after VRFY ("vrfy=1 etrn=0/1 quit=1").
BOOST_AUTO_TEST_CASE(etrn_sits_after_vrfy) {
    CommandStats stats;
    run(stats, Verb::quit, true);
    run(stats, Verb::etrn, false);
    run(stats, Verb::vrfy, true);
    BOOST_TEST(stats.format() == " vrfy=1 etrn=0/1 quit=1 commands=2/3");
}
