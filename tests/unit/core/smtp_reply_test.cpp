// The one SMTP reply type: its wire form, enhanced status codes, replies as rules write them and as
// servers send them.
#define BOOST_TEST_MODULE core smtp reply
#include <boost/test/unit_test.hpp>

#include "core/smtp_reply.hpp"

using mw::SmtpReply;

BOOST_AUTO_TEST_CASE(reply_with_enhanced_status) {
    BOOST_TEST((SmtpReply{250, "2.1.0", "Ok"}.wire()) == "250 2.1.0 Ok\r\n");
    BOOST_TEST((SmtpReply{250, "2.1.0", "Ok"}.str()) == "250 2.1.0 Ok");
}

BOOST_AUTO_TEST_CASE(reply_without_enhanced_status) {
    BOOST_TEST((SmtpReply{354, "", "End data with <CR><LF>.<CR><LF>"}.wire()) == "354 End data with <CR><LF>.<CR><LF>\r\n");
}

BOOST_AUTO_TEST_CASE(enhanced_status_codes) {
    BOOST_TEST(mw::valid_enhanced_status("5.7.1", 5));
    BOOST_TEST(mw::valid_enhanced_status("4.123.456", 4));
    BOOST_TEST(!mw::valid_enhanced_status("4.7.1", 5));
    BOOST_TEST(!mw::valid_enhanced_status("5.7", 5));
    BOOST_TEST(!mw::valid_enhanced_status("5.7.", 5));
    BOOST_TEST(!mw::valid_enhanced_status("5.1234.1", 5));
    BOOST_TEST(!mw::valid_enhanced_status("5.7.1x", 5));
}

BOOST_AUTO_TEST_CASE(replies_as_rules_write_them) {
    auto r = mw::parse_smtp_reply("550 5.7.1 Delivery not authorized");
    BOOST_TEST_REQUIRE(r.has_value());
    BOOST_TEST((*r == SmtpReply{550, "5.7.1", "Delivery not authorized"}));
    for (auto bad : {"550 4.7.1 class mismatch", "550 text without status", "650 6.0.0 no such class",
                     "560 5.0.0 second digit", "550 5.7.1 ", "550 5.7.1", "55 5.7.1 x", "550 5.7.1 tab\there"})
        BOOST_TEST(!mw::parse_smtp_reply(bad), bad);
}

BOOST_AUTO_TEST_CASE(replies_as_servers_send_them) {
    auto first = mw::read_server_reply_line("250-PIPELINING");
    BOOST_TEST_REQUIRE(first.has_value());
    BOOST_TEST(first->more);
    BOOST_TEST((first->reply == SmtpReply{250, "", "PIPELINING"}));
    auto last = mw::read_server_reply_line("452 4.2.2 <bob@example.com> mailbox full");
    BOOST_TEST_REQUIRE(last.has_value());
    BOOST_TEST(!last->more);
    BOOST_TEST((last->reply == SmtpReply{452, "4.2.2", "<bob@example.com> mailbox full"}));
    auto bare = mw::read_server_reply_line("220");
    BOOST_TEST_REQUIRE(bare.has_value());
    BOOST_TEST(bare->reply.code == 220);
    // A status of another class is text, not a status.
    BOOST_TEST(mw::read_server_reply_line("250 5.0.0 odd")->reply.status == "");
    for (auto bad : {"", "25", "abc", "2500 x", "199 too low", "600 too high", "250x"})
        BOOST_TEST(!mw::read_server_reply_line(bad), bad);
}
