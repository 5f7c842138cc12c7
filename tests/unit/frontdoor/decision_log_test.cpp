// The one decision log (frontdoor/decision_log.hpp): one format, one way to escape, and the same
// line for the same decision whether the milter or the standalone SMTP server made it.
#define BOOST_TEST_MODULE frontdoor decision log
#include <boost/test/unit_test.hpp>

#include "frontdoor/decision_log.hpp"
#include "milter/milter_log.hpp"
#include "smtp/server/decision_line.hpp"

using namespace mw;
namespace policy = mw::policy;

namespace {

// One session, as both front doors would know it: a client over TLS that authenticated, on the
// Internet connector.
struct Session {
    policy::ReceiveConnector connector;
    policy::SessionFacts facts;
    milter::MilterSession milter;

    Session() {
        connector.name = "Internet";
        facts.helo = "mail.example.net";
        facts.client_name = "mail.example.net";
        facts.tls = policy::TlsFacts{"TLSv1.3", "TLS_AES_256_GCM_SHA384", 256, std::nullopt};
        facts.auth_login = "alice";
        milter.facts = facts;
        milter.connect.connector = &connector;
        milter.client_text = "mail.example.net[192.0.2.7]";
    }

    std::string from_milter(std::string_view stage, const policy::Verdict& v, std::string queue_id,
                            std::optional<std::string> sender, std::vector<std::string> to) {
        milter.queue_id = queue_id;
        milter.sender_text = sender.value_or("");
        if (sender) milter.mail.emplace();
        else milter.mail.reset();
        return milter::decision_line(milter, stage, v, std::move(to));
    }

    std::string from_smtp_server(std::string_view stage, const policy::Verdict& v, std::string queue_id,
                                 std::optional<std::string> sender, std::vector<std::string> to) {
        smtp::server::SessionLogView view{queue_id, "mail.example.net[192.0.2.7]", &facts, &connector, true};
        std::optional<std::string_view> from;
        if (sender) from = *sender;
        return smtp::server::decision_line(view, stage, v, from, std::move(to));
    }
};

}  // namespace

BOOST_AUTO_TEST_CASE(the_same_decision_reads_the_same_in_both_front_doors) {
    Session s;
    auto reject = policy::make_reply(policy::Action::reject, 550, "5.7.1", "<bob@example.com>: Delivery not authorized",
                                     "Students outside");
    auto accept = policy::accept_verdict();
    auto quarantine = policy::make_reply(policy::Action::quarantine, 250, "2.0.0", "Ok", "transport rules exe");

    struct Case {
        const char* stage;
        policy::Verdict verdict;
        std::string queue_id;
        std::optional<std::string> sender;
        std::vector<std::string> to;
    };
    const std::vector<Case> cases = {
        {"CONNECT", accept, "", std::nullopt, {}},
        {"MAIL", accept, "", "alice@example.com", {}},
        {"RCPT", reject, "", "alice@example.com", {"bob@example.com"}},
        {"END-OF-MESSAGE", quarantine, "4FzZ1k3QmVz9sT", "alice@example.com", {"carol@example.com", "dave@example.com"}},
    };
    for (const auto& c : cases) {
        std::string milter = s.from_milter(c.stage, c.verdict, c.queue_id, c.sender, c.to);
        std::string server = s.from_smtp_server(c.stage, c.verdict, c.queue_id, c.sender, c.to);
        BOOST_TEST(milter == server, c.stage);
    }
    BOOST_TEST(s.from_smtp_server("RCPT", reject, "", "alice@example.com", {"bob@example.com"}) ==
               "NOQUEUE: reject: RCPT from mail.example.net[192.0.2.7]: 550 5.7.1 <bob@example.com>: Delivery not "
               "authorized; rule=\"Students outside\" connector=Internet from=<alice@example.com> to=<bob@example.com> "
               "proto=ESMTP helo=<mail.example.net> tls=TLSv1.3 sasl_username=alice");
    BOOST_TEST(s.from_milter("END-OF-MESSAGE", quarantine, "4FzZ1k3QmVz9sT", "alice@example.com",
                             {"carol@example.com", "dave@example.com"}) ==
               "4FzZ1k3QmVz9sT: quarantine: END-OF-MESSAGE from mail.example.net[192.0.2.7]: 250 2.0.0 Ok; "
               "rule=\"transport rules exe\" connector=Internet from=<alice@example.com> "
               "to=<carol@example.com>,<dave@example.com> proto=ESMTP helo=<mail.example.net> tls=TLSv1.3 "
               "sasl_username=alice");
}

BOOST_AUTO_TEST_CASE(a_client_name_is_escaped_once) {
    Session s;
    s.milter.client_text = "back\\slash[192.0.2.7]";
    smtp::server::SessionLogView view{"", "back\\slash[192.0.2.7]", &s.facts, &s.connector, true};
    auto v = policy::accept_verdict();
    std::string server = smtp::server::decision_line(view, "CONNECT", v, std::nullopt, {});
    BOOST_TEST(server == mw::milter::decision_line(s.milter, "CONNECT", v, {}));
    BOOST_TEST(server.find(" from back\\x5cslash[192.0.2.7]: ") != std::string::npos, server);
}

BOOST_AUTO_TEST_CASE(a_client_cannot_end_the_line_or_add_a_field) {
    frontdoor::Decision d;
    d.action = "reject";
    d.stage = "MAIL";
    d.client = "evil[192.0.2.66]";
    d.reply = "550 5.7.1 no";
    d.sender = "a> sasl_username=ceo <b@x";
    d.helo = "x\r\nNOQUEUE: accept: forged";
    d.extra.emplace_back("login", "name with \"quotes\" = and ;");
    std::string line = frontdoor::format(d);
    BOOST_TEST(line.find('\n') == std::string::npos, line);
    BOOST_TEST(line.find('\r') == std::string::npos, line);
    BOOST_TEST(line.find(" sasl_username=ceo") == std::string::npos, line);
    BOOST_TEST(line.find("from=<a\\x3e\\x20sasl_username=ceo\\x20\\x3cb@x>") != std::string::npos, line);
    BOOST_TEST(line.find("helo=<x\\x0d\\x0aNOQUEUE:\\x20accept:\\x20forged>") != std::string::npos, line);
    BOOST_TEST(line.find(" login=\"name with \\\"quotes\\\" = and ;\"") != std::string::npos, line);
}

BOOST_AUTO_TEST_CASE(fields_and_lists_are_written_one_way) {
    BOOST_TEST(frontdoor::field("rule", "plain") == " rule=plain");
    BOOST_TEST(frontdoor::field("rule", "with space") == " rule=\"with space\"");
    BOOST_TEST(frontdoor::field("rule", "") == " rule=\"\"");
    frontdoor::Decision d;
    d.action = "accept";
    d.stage = "END-OF-MESSAGE";
    d.client = "c[192.0.2.1]";
    d.reply = "250 2.0.0 Ok";
    d.connector = "";
    d.recipients = {"a@example.com", "b@example.com"};
    BOOST_TEST(frontdoor::format(d) == "NOQUEUE: accept: END-OF-MESSAGE from c[192.0.2.1]: 250 2.0.0 Ok; connector=none "
                                       "to=<a@example.com>,<b@example.com>");
}

BOOST_AUTO_TEST_CASE(deliveries_keep_postfix_delivery_shape) {
    frontdoor::Delivery d{"4FzZ1k3QmVz9sT", "bob@example.com", "local", 0, "2.0.0", "sent", "delivered to maildir"};
    BOOST_TEST(frontdoor::format(d) ==
               "4FzZ1k3QmVz9sT: to=<bob@example.com>, relay=local, delay=0, dsn=2.0.0, status=sent (delivered to maildir)");
}
