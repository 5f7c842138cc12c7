#define BOOST_TEST_MODULE reply_text
#include <boost/test/unit_test.hpp>

#include "milter/reply_text.hpp"

using mw::milter::reply_text;
using mw::policy::Mta;

BOOST_AUTO_TEST_CASE(percent_is_doubled_for_every_mta) {
    for (Mta mta : {Mta::postfix, Mta::sendmail, Mta::standalone})
        BOOST_TEST(reply_text(mta, 554, "<a%b@example.com>: Relay access denied") ==
                   "<a%%b@example.com>: Relay access denied");
}

BOOST_AUTO_TEST_CASE(sendmail_names_the_address_itself_for_450_550_and_553) {
    BOOST_TEST(reply_text(Mta::sendmail, 450, "<bob@example.com>: Mailbox busy") == "Mailbox busy");
    BOOST_TEST(reply_text(Mta::sendmail, 550, "<nobody@example.com>: User unknown") == "User unknown");
    BOOST_TEST(reply_text(Mta::sendmail, 553, "<x@y>: Sender address rejected") == "Sender address rejected");
    BOOST_TEST(reply_text(Mta::sendmail, 550, "<u%v@example.com>: User unknown") == "User unknown");
}

BOOST_AUTO_TEST_CASE(other_codes_and_mtas_keep_the_address) {
    BOOST_TEST(reply_text(Mta::sendmail, 554, "<victim@other.example>: Relay access denied") ==
               "<victim@other.example>: Relay access denied");
    BOOST_TEST(reply_text(Mta::sendmail, 451, "<a@b>: try later") == "<a@b>: try later");
    BOOST_TEST(reply_text(Mta::sendmail, 454, "<a@partner.example>: Certificate validation failure for partner.example") ==
               "<a@partner.example>: Certificate validation failure for partner.example");
    BOOST_TEST(reply_text(Mta::postfix, 550, "<nobody@example.com>: User unknown") == "<nobody@example.com>: User unknown");
    BOOST_TEST(reply_text(Mta::standalone, 550, "<nobody@example.com>: User unknown") ==
               "<nobody@example.com>: User unknown");
}

BOOST_AUTO_TEST_CASE(only_a_leading_angle_address_is_dropped) {
    BOOST_TEST(reply_text(Mta::sendmail, 550, "Students may not send mail outside the school") ==
               "Students may not send mail outside the school");
    BOOST_TEST(reply_text(Mta::sendmail, 550, "Mail to <x@y>: refused") == "Mail to <x@y>: refused");
    BOOST_TEST(reply_text(Mta::sendmail, 550, "<x@y>:") == "<x@y>:");  // nothing would remain
    BOOST_TEST(reply_text(Mta::sendmail, 550, "<x@y>") == "<x@y>");
}
