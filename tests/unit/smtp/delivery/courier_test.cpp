// The couriers on their own: what each refuses before DATA, how it names itself in the log, and
// which one `[delivery]` puts on which route.
#define BOOST_TEST_MODULE smtp delivery couriers
#include <boost/test/unit_test.hpp>

#include "delivery_test_support.hpp"
#include "smtp/delivery/courier_setup.hpp"
#include "smtp/delivery/lmtp_courier.hpp"
#include "smtp/delivery/mailbox_name.hpp"
#include "smtp/delivery/maildir_courier.hpp"

using namespace mw::smtp::delivery;
namespace dt = mw::delivery_test;
namespace fs = std::filesystem;
using Kind = DeliveryOutcome::Kind;

namespace {

mw::Address address(const std::string& text) {
    auto parsed = mw::parse_address(text);
    BOOST_TEST_REQUIRE(parsed.address.has_value(), text << ": " << parsed.error);
    return *parsed.address;
}

}  // namespace

BOOST_AUTO_TEST_CASE(maildir_refuses_at_rcpt_a_local_part_that_cannot_name_a_mailbox) {
    dt::TempDir dir("courier-maildir");
    MaildirCourier courier((dir.path() / "{domain}" / "{user}").string() + "/", "mx.example.com");
    for (const char* ok : {"bob@example.com", "Bob.Smith+tag@example.com", "a_b-c@example.com"}) {
        BOOST_TEST(!courier.check_recipient(address(ok)).has_value(), ok);
        BOOST_TEST(mailbox_user(address(ok)).has_value(), ok);
    }
    for (const char* bad : {"o'brien@example.com", "\".hidden\"@example.com", "a%b@example.com", "a/b@example.com"}) {
        auto refused = courier.check_recipient(address(bad));
        BOOST_TEST_REQUIRE(refused.has_value(), bad);
        BOOST_TEST((refused->kind == Kind::permanent));
        BOOST_TEST(refused->reply() == "550 5.1.3 bad recipient address syntax");
        // The same rule as the SMTP server's at RCPT (mailbox_name.hpp).
        BOOST_TEST(!mailbox_user(address(bad)).has_value(), bad);
    }

    // deliver() keeps to the rule as well, whoever calls it: nothing is written for such a name.
    const std::string body = "Subject: x\r\n\r\nhello\r\n";
    CourierMessage m;
    m.sender = "alice@example.net";
    m.data = body;
    std::vector<CourierRecipient> recipients(2);
    recipients[0].address = "o'brien@example.com";
    recipients[0].parsed = address("o'brien@example.com");
    recipients[1].address = "bob@example.com";
    recipients[1].parsed = address("bob@example.com");
    auto out = courier.deliver(m, recipients);
    BOOST_TEST_REQUIRE(out.size() == 2u);
    BOOST_TEST(out[0].reply() == "550 5.1.3 bad recipient address syntax");
    BOOST_TEST((out[1].kind == Kind::ok), out[1].reply() << " " << out[1].detail);
    BOOST_TEST(dt::files_in(dir.path() / "example.com").size() == 1u);  // bob's Maildir alone
    BOOST_TEST(dt::files_in(dir.path() / "example.com" / "bob" / "new").size() == 1u);

    BOOST_TEST(courier.relay_name() == "local");
    BOOST_TEST(!courier.remote_replies());
}

BOOST_AUTO_TEST_CASE(lmtp_refuses_nobody_in_advance) {
    LmtpCourier courier(LmtpOptions{"unix:/run/dovecot/lmtp"});
    // The LMTP server knows its users and answers at its own RCPT.
    BOOST_TEST(!courier.check_recipient(address("o'brien@example.com")).has_value());
    BOOST_TEST(!courier.check_recipient(address("bob@example.com")).has_value());
    BOOST_TEST(courier.relay_name() == "lmtp[/run/dovecot/lmtp]");
    BOOST_TEST(courier.remote_replies());
}

BOOST_AUTO_TEST_CASE(delivery_settings_choose_the_local_courier_and_none_goes_out) {
    DeliveryConfig config;
    config.maildir = "/var/mail/{domain}/{user}/";
    auto maildir = make_couriers(config);
    BOOST_TEST_REQUIRE(maildir.local != nullptr);
    BOOST_TEST(maildir.local->relay_name() == "local");
    BOOST_TEST(maildir.outbound == nullptr);
    BOOST_TEST(maildir.for_route(RecipientRoute::local) == maildir.local.get());
    BOOST_TEST(maildir.for_route(RecipientRoute::outbound) == nullptr);

    config.lmtp = "inet:127.0.0.1:24";
    auto lmtp = make_couriers(config);
    BOOST_TEST_REQUIRE(lmtp.local != nullptr);
    BOOST_TEST(lmtp.local->relay_name() == "lmtp[127.0.0.1:24]");
    BOOST_TEST(lmtp.outbound == nullptr);
}

BOOST_AUTO_TEST_CASE(the_route_follows_the_authoritative_domains) {
    dt::TempDir dir("courier-route");
    auto rules = dt::load_rules(dir, dt::delivery_rules);
    BOOST_TEST((route_of(*rules, address("bob@example.com")) == RecipientRoute::local));
    BOOST_TEST((route_of(*rules, address("bob@Sub.Example.com")) == RecipientRoute::local));
    BOOST_TEST((route_of(*rules, address("bob@other.example")) == RecipientRoute::outbound));
    BOOST_TEST((route_of(*rules, address("bob@partner.example")) == RecipientRoute::outbound));  // external relay
}
