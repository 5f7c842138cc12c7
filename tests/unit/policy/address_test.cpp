#define BOOST_TEST_MODULE address
#include <boost/test/unit_test.hpp>

#include <ostream>
#include <string>

#include "policy/address.hpp"

using mw::Address;
using mw::parse_address;

namespace mw {
// How Boost.Test shows an Address in a failed comparison.
std::ostream& boost_test_print_type(std::ostream& os, const Address& a) {
    return os << (a.null ? "<>" : "<" + a.str() + ">") << (a.has_routing_characters ? " (routing)" : "");
}
}  // namespace mw

namespace {

// Parses and returns the normalized "local@domain", failing the test on an error.
std::string norm(std::string_view text) {
    auto r = parse_address(text);
    BOOST_TEST_REQUIRE(r.address.has_value(), "'" << text << "' did not parse: " << r.error);
    return r.address->str();
}

Address parsed(std::string_view text) {
    auto r = parse_address(text);
    BOOST_TEST_REQUIRE(r.address.has_value(), "'" << text << "' did not parse: " << r.error);
    return *r.address;
}

std::string error_of(std::string_view text) {
    auto r = parse_address(text);
    BOOST_TEST(!r.address.has_value(), "'" << text << "' parsed, but should not");
    BOOST_TEST(!r.error.empty());
    return r.error;
}

}  // namespace

BOOST_AUTO_TEST_CASE(plain_address_with_and_without_brackets) {
    auto a = parsed("<user@example.com>");
    BOOST_TEST(a.local == "user");
    BOOST_TEST(a.domain == "example.com");
    BOOST_TEST(!a.null);
    BOOST_TEST(!a.has_routing_characters);
    BOOST_TEST(parsed("user@example.com") == a);
}

BOOST_AUTO_TEST_CASE(case_is_folded_in_local_part_and_domain) {
    BOOST_TEST(norm("<John.Doe@Example.COM>") == "john.doe@example.com");
    BOOST_TEST(parsed("ALICE@EXAMPLE.COM") == parsed("alice@example.com"));
}

BOOST_AUTO_TEST_CASE(one_trailing_dot_is_removed) {
    BOOST_TEST(norm("user@example.com.") == "user@example.com");
    BOOST_TEST(error_of("user@example.com..") == "invalid domain 'example.com..'");
    BOOST_TEST(!parse_address("user@.").address);
}

BOOST_AUTO_TEST_CASE(null_path) {
    auto a = parsed("<>");
    BOOST_TEST(a.null);
    BOOST_TEST(a.str() == "");
    BOOST_TEST(a.local.empty());
    BOOST_TEST(a.domain.empty());
    BOOST_TEST(error_of("") == "empty address");
    BOOST_TEST(!parse_address("< >").address);
}

BOOST_AUTO_TEST_CASE(quoted_local_part_that_is_a_dot_atom_is_unquoted) {
    BOOST_TEST(parsed("\"abc\"@example.com") == parsed("abc@example.com"));
    BOOST_TEST(norm("<\"John.Doe\"@example.com>") == "john.doe@example.com");
    // Escapes are resolved before deciding: "a\bc" is abc.
    BOOST_TEST(norm("\"a\\bc\"@example.com") == "abc@example.com");
}

BOOST_AUTO_TEST_CASE(quoted_local_part_that_needs_quotes_keeps_a_canonical_form) {
    auto a = parsed("\"a b\"@example.com");
    BOOST_TEST(a.local == "\"a b\"");
    BOOST_TEST(a.str() == "\"a b\"@example.com");
    BOOST_TEST(!a.has_routing_characters);
    // Case folds inside quotes too; a needless escape disappears; a needed one stays.
    BOOST_TEST(parsed("\"A\\ B\"@example.com") == a);
    BOOST_TEST(norm("\"a\\\"b\"@example.com") == "\"a\\\"b\"@example.com");
    BOOST_TEST(norm("\"a\\\\b\"@example.com") == "\"a\\\\b\"@example.com");
    BOOST_TEST(norm("\".abc\"@example.com") == "\".abc\"@example.com");
    BOOST_TEST(norm("\"a..b\"@example.com") == "\"a..b\"@example.com");
}

BOOST_AUTO_TEST_CASE(percent_and_bang_are_local_but_flagged) {
    auto a = parsed("a%b@example.com");
    BOOST_TEST(a.local == "a%b");
    BOOST_TEST(a.domain == "example.com");
    BOOST_TEST(a.has_routing_characters);
    auto b = parsed("host!user@example.com");
    BOOST_TEST(b.local == "host!user");
    BOOST_TEST(b.domain == "example.com");
    BOOST_TEST(b.has_routing_characters);
    BOOST_TEST(parsed("\"a%b\"@example.com").has_routing_characters);
    BOOST_TEST(!parsed("a.b+tag@example.com").has_routing_characters);
}

BOOST_AUTO_TEST_CASE(quoted_at_sign_is_local_but_flagged) {
    auto a = parsed("\"victim@other.example\"@example.com");
    BOOST_TEST(a.local == "\"victim@other.example\"");
    BOOST_TEST(a.domain == "example.com");
    BOOST_TEST(a.has_routing_characters);
}

BOOST_AUTO_TEST_CASE(source_route_is_judged_by_its_final_address) {
    BOOST_TEST(parsed("<@relay.example:user@example.com>") == parsed("user@example.com"));
    BOOST_TEST(parsed("<@a.example,@B.example:User@Example.com>") == parsed("user@example.com"));
    BOOST_TEST(error_of("<@relay.example:>") == "missing mailbox after the source route");
    BOOST_TEST(error_of("<@relay..example:u@example.com>") == "invalid source route '@relay..example'");
    BOOST_TEST(error_of("<@a.example,b.example:u@example.com>") == "invalid source route '@a.example,b.example'");
}

BOOST_AUTO_TEST_CASE(idn_unicode_and_punycode_compare_equal) {
    BOOST_TEST(parsed("user@bücher.example") == parsed("user@xn--bcher-kva.example"));
    BOOST_TEST(parsed("user@BÜCHER.example").domain == "xn--bcher-kva.example");
    BOOST_TEST(parsed("user@XN--BCHER-KVA.EXAMPLE").domain == "xn--bcher-kva.example");
    // Non-transitional (IDNA2008): sharp s stays a distinct letter.
    BOOST_TEST(parsed("user@faß.de").domain == "xn--fa-hia.de");
}

BOOST_AUTO_TEST_CASE(malformed_idn_is_an_error) {
    BOOST_TEST(error_of("user@xn--zz.example") == "invalid domain 'xn--zz.example'");
    BOOST_TEST(!parse_address("user@\xff.example").address);
    BOOST_TEST(!parse_address("user@\xc3.example").address);
    BOOST_TEST(!parse_address("user@💩.example").address);
    BOOST_TEST(!parse_address("user@-bad.example").address);
}

BOOST_AUTO_TEST_CASE(smtputf8_local_parts) {
    auto a = parsed("Jörg@example.com");
    BOOST_TEST(a.local == "jörg");  // only ASCII is folded
    BOOST_TEST(parsed("JÖRG@example.com").local == "jÖrg");
    BOOST_TEST(error_of("j\xffrg@example.com") == "invalid UTF-8 in local part");
    BOOST_TEST(error_of("\"j\xc3\"@example.com") == "invalid UTF-8 in local part");
}

BOOST_AUTO_TEST_CASE(address_literals) {
    BOOST_TEST(norm("user@[192.0.2.1]") == "user@[192.0.2.1]");
    BOOST_TEST(norm("user@[IPv6:2001:DB8:0:0::1]") == "user@[IPv6:2001:db8::1]");
    BOOST_TEST(norm("user@[ipv6:2001:db8::1]") == "user@[IPv6:2001:db8::1]");
    BOOST_TEST(error_of("user@[300.1.1.1]") == "invalid address literal '[300.1.1.1]'");
    BOOST_TEST(error_of("user@[2001:db8::1]") == "invalid address literal '[2001:db8::1]'");
    BOOST_TEST(!parse_address("user@[x-tag:abc]").address);
    BOOST_TEST(!parse_address("user@[192.0.2.1").address);
}

BOOST_AUTO_TEST_CASE(structural_errors_have_clear_texts) {
    BOOST_TEST(error_of("x@") == "missing domain");
    BOOST_TEST(error_of("x") == "missing domain");
    BOOST_TEST(error_of("<x@example.com") == "missing closing '>'");
    BOOST_TEST(error_of("x@example.com>") == "missing opening '<'");
    BOOST_TEST(error_of("@example.com") == "empty local part");
    BOOST_TEST(error_of("\"\"@example.com") == "empty local part");
    BOOST_TEST(error_of("\"abc@example.com") == "unbalanced quote in local part");
    BOOST_TEST(error_of("\"abc\\") == "unbalanced quote in local part");
    BOOST_TEST(error_of("\"a\"b@example.com") == "unexpected 'b' after the quoted local part");
    BOOST_TEST(error_of("a..b@example.com") == "misplaced '.' in local part");
    BOOST_TEST(error_of(".a@example.com") == "misplaced '.' in local part");
    BOOST_TEST(error_of("a.@example.com") == "misplaced '.' in local part");
    BOOST_TEST(error_of("user@a..b") == "invalid domain 'a..b'");
    BOOST_TEST(error_of("a@b@example.com") == "invalid domain 'b@example.com'");
    BOOST_TEST(error_of("a(b)@example.com") == "invalid character '(' in local part");
    BOOST_TEST(error_of("user@exa_mple.com") == "invalid domain 'exa_mple.com'");
}

BOOST_AUTO_TEST_CASE(spaces_and_control_characters_outside_quotes) {
    BOOST_TEST(error_of("a b@example.com") == "space in local part (it must be quoted)");
    BOOST_TEST(error_of(" a@example.com") == "space in local part (it must be quoted)");
    BOOST_TEST(error_of("a\tb@example.com") == "control character in local part");
    BOOST_TEST(error_of("\"a\rb\"@example.com") == "control character in local part");
    BOOST_TEST(error_of("user@exa mple.com") == "invalid domain 'exa mple.com'");
    BOOST_TEST(error_of("user@example.com\r") == "invalid domain 'example.com\\x0d'");
    BOOST_TEST(error_of(std::string_view("a\0b@example.com", 15)) == "control character in local part");
    BOOST_TEST(error_of(std::string_view("a@exam\0ple.com", 14)) == "invalid domain 'exam\\x00ple.com'");
    BOOST_TEST(error_of("\"a\\\x01\"@example.com") == "invalid escape in quoted local part");
}

BOOST_AUTO_TEST_CASE(length_limits) {
    std::string local64(64, 'a'), local65(65, 'a');
    BOOST_TEST(parsed(local64 + "@example.com").local == local64);
    BOOST_TEST(error_of(local65 + "@example.com") == "local part too long (65 octets; the limit is 64)");
    // Quotes count on the wire.
    BOOST_TEST(!parse_address("\"" + std::string(63, 'a') + "\"@example.com").address);

    std::string label(63, 'b');
    BOOST_TEST(parsed("u@" + label + ".example").domain.size() == 71);
    BOOST_TEST(!parse_address("u@" + std::string(64, 'b') + ".example").address);

    // 4 labels of 63 and 3 dots: 255 octets of domain, path "<u@...>" = 259 > 256.
    std::string domain255 = label + "." + label + "." + label + "." + label;
    BOOST_TEST(domain255.size() == 255u);
    BOOST_TEST(mw::normalize_domain(domain255).has_value());
    BOOST_TEST(!mw::normalize_domain(domain255 + "c").has_value());
    BOOST_TEST(error_of("u@" + domain255) == "address too long (259 octets; the limit is 256)");
    // Exactly 256 with the brackets is fine.
    std::string domain251 = label + "." + label + "." + label + "." + std::string(59, 'c');
    std::string at_limit = std::string(2, 'u') + "@" + domain251;
    BOOST_TEST(at_limit.size() + 2 == 256u);
    BOOST_TEST(parsed(at_limit).domain == domain251);
    BOOST_TEST(!parse_address("u" + at_limit).address);
    // IDN expansion counts too: the A-label form is what travels without SMTPUTF8.
    BOOST_TEST(!parse_address("u@" + std::string(60, 'a') + "ü.example").address);
}

BOOST_AUTO_TEST_CASE(never_crashes_on_garbage) {
    const char* inputs[] = {"<", ">", "<<>>", "\"", "\\", "@", "@:", ":", "<@>", "<@:@>", "\"@\"@", "@@@@",
                            "[", "u@[", "u@[]", "u@[IPv6:]", "u@[IPv6:::ffff:1.2.3.4]", "a@b.c\xe2\x82",
                            "u@xn--", "u@xn--.com", "u@.", "u@..", "<@,@:u@d>", "<@a,:u@d>"};
    for (const char* input : inputs) {
        auto r = parse_address(input);
        BOOST_TEST((r.address.has_value() || !r.error.empty()), input);
    }
    BOOST_TEST(norm("u@[IPv6:::ffff:1.2.3.4]") == "u@[1.2.3.4]");
}

BOOST_AUTO_TEST_CASE(normalized_form_reparses_to_itself) {
    const char* inputs[] = {"\"A B\"@X.example", "\"a\\\"b\"@example.com", "\"x@y\"@bücher.example.",
                            "a%b!c@[IPv6:2001:db8::1]", "Jörg@example.com", "<@r.example:U@D.example>"};
    for (const char* input : inputs) {
        auto a = parsed(input);
        BOOST_TEST((parsed("<" + a.str() + ">") == a), input);
    }
}

BOOST_AUTO_TEST_CASE(normalize_domain_rules) {
    BOOST_TEST(mw::normalize_domain("Example.COM.").value() == "example.com");
    BOOST_TEST(mw::normalize_domain("bücher.example").value() == "xn--bcher-kva.example");
    BOOST_TEST(mw::normalize_domain("ab--c.example").value() == "ab--c.example");
    BOOST_TEST(mw::normalize_domain("localhost").value() == "localhost");
    BOOST_TEST(mw::normalize_domain("[192.0.2.1]").value() == "[192.0.2.1]");
    BOOST_TEST(!mw::normalize_domain(""));
    BOOST_TEST(!mw::normalize_domain("."));
    BOOST_TEST(!mw::normalize_domain("a..b"));
    BOOST_TEST(!mw::normalize_domain(".a"));
    BOOST_TEST(!mw::normalize_domain("a-.b"));
    BOOST_TEST(!mw::normalize_domain("*.example.com"));
}

BOOST_AUTO_TEST_CASE(domain_matching) {
    using mw::domain_matches;
    BOOST_TEST(domain_matches("example.com", "example.com", false));
    BOOST_TEST(!domain_matches("a.example.com", "example.com", false));
    // Wildcards are proper subdomains only (README "Address patterns": *.d never includes d).
    BOOST_TEST(domain_matches("a.example.com", "example.com", true));
    BOOST_TEST(domain_matches("x.a.example.com", "example.com", true));
    BOOST_TEST(!domain_matches("example.com", "example.com", true));
    BOOST_TEST(!domain_matches("badexample.com", "example.com", true));
    BOOST_TEST(!domain_matches(".example.com", "example.com", false));
    BOOST_TEST(!domain_matches("com", "", true));
}
