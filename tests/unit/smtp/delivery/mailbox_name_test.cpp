#define BOOST_TEST_MODULE smtp delivery mailbox name
#include <boost/test/unit_test.hpp>

#include "delivery_test_support.hpp"
#include "policy/address.hpp"
#include "smtp/delivery/mailbox_name.hpp"

using mw::parse_address;
using mw::smtp::delivery::is_local_recipient;
using mw::smtp::delivery::mailbox_user;
namespace dt = mw::delivery_test;

namespace {

mw::Address addr(const std::string& text) {
    auto parsed = parse_address(text);
    BOOST_TEST_REQUIRE(parsed.address.has_value(), text << ": " << parsed.error);
    return *parsed.address;
}

std::string user_of(const std::string& text) { return mailbox_user(addr(text)).value_or("<none>"); }

}  // namespace

BOOST_AUTO_TEST_CASE(plain_local_parts_name_a_mailbox) {
    BOOST_TEST(user_of("bob@example.com") == "bob");
    BOOST_TEST(user_of("Bob.Smith@Example.COM") == "bob.smith");
    BOOST_TEST(user_of("a_b+tag-1@example.com") == "a_b+tag-1");
    BOOST_TEST(user_of("\"carol\"@example.com") == "carol");  // quoted dot-atom is unquoted
}

BOOST_AUTO_TEST_CASE(local_parts_that_could_name_a_path_are_refused) {
    // Not a dot-atom, so only reachable quoted (which keeps the quotes) or built by hand.
    BOOST_TEST(user_of("\".hidden\"@example.com") == "<none>");
    BOOST_TEST(!mailbox_user(mw::Address{".hidden", "example.com"}).has_value());
    BOOST_TEST(!mailbox_user(mw::Address{"", "example.com"}).has_value());
    BOOST_TEST(user_of("a/b@example.com") == "<none>");
    BOOST_TEST(user_of("a%b@example.com") == "<none>");
    BOOST_TEST(user_of("a!b@example.com") == "<none>");
    BOOST_TEST(user_of("\"..\"@example.com") == "<none>");
    BOOST_TEST(user_of("\"a b\"@example.com") == "<none>");
    BOOST_TEST(user_of("\"../etc\"@example.com") == "<none>");
    BOOST_TEST(user_of("j\xC3\xBCrgen@example.com") == "<none>");
    mw::Address null_path;
    null_path.null = true;
    BOOST_TEST(!mailbox_user(null_path).has_value());
    mw::Address upper{"ALICE", "example.com"};
    BOOST_TEST(mailbox_user(upper).value_or("") == "alice");
}

BOOST_AUTO_TEST_CASE(only_authoritative_domains_are_local) {
    dt::TempDir dir("mailbox-name");
    auto rules = dt::load_rules(dir, dt::delivery_rules);
    BOOST_TEST(is_local_recipient(*rules, addr("bob@example.com")));
    BOOST_TEST(is_local_recipient(*rules, addr("bob@EXAMPLE.com.")));
    BOOST_TEST(is_local_recipient(*rules, addr("bob@sales.example.com")));   // wildcard
    BOOST_TEST(!is_local_recipient(*rules, addr("bob@relay.example.com")));  // exact internal-relay beats wildcard
    BOOST_TEST(is_local_recipient(*rules, addr("bob@x.relay.example.com")));  // *.example.com again
    BOOST_TEST(!is_local_recipient(*rules, addr("bob@partner.example")));
    BOOST_TEST(!is_local_recipient(*rules, addr("bob@other.example")));
    BOOST_TEST(!is_local_recipient(*rules, addr("bob@example.com.evil.example")));
    mw::Address null_path;
    null_path.null = true;
    BOOST_TEST(!is_local_recipient(*rules, null_path));
}
