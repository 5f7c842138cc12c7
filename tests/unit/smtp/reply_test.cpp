#define BOOST_TEST_MODULE smtp reply
#include <boost/test/unit_test.hpp>

#include "smtp/server/reply.hpp"

using mw::smtp::server::Reply;

BOOST_AUTO_TEST_CASE(reply_with_enhanced_status) {
    BOOST_TEST((Reply{250, "2.1.0", "Ok"}.wire()) == "250 2.1.0 Ok\r\n");
}

BOOST_AUTO_TEST_CASE(reply_without_enhanced_status) {
    BOOST_TEST((Reply{354, "", "End data with <CR><LF>.<CR><LF>"}.wire()) == "354 End data with <CR><LF>.<CR><LF>\r\n");
}
