// The Postfix policy service: OK exactly when mailwarden grants the recipient at relay control,
// DUNNO otherwise; the Direct Trust fingerprint handed to the milter. Requests go through the
// wire-format reader, as Postfix 3.7 writes them.
#define BOOST_TEST_MODULE policy_service
#include "policy/engine_fixture.hpp"

#include <utility>

#include "postfix/policy_protocol.hpp"
#include "postfix/policy_service.hpp"

using namespace mw::test;
using namespace mw;
using namespace mw::postfix;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

const std::string pin = "ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789";
const std::string pin_colons =
    "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89";
const std::string wrong_colons =
    "FF:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89";
const Clock::time_point t0 = Clock::time_point() + 1000h;

// Internet (anonymous, partners) on :25, Submission (users, TLS first) on :587, and a
// partners-only connector on :2525 whose sessions may relay once domain security passed.
const std::string rules_toml = std::string(base_rules) + internet_connector + submission_connector + R"(
[[receive_connector]]
name = "Partners"
bind = ["0.0.0.0:2525"]
daemon_name = "partners"
permission_groups = ["partners"]
grant = ["accept-any-sender", "accept-any-recipient"]

[[accepted_domain]]
domain = "listed.example"
type = "authoritative"
recipients = ["alice@listed.example"]

[domain_security]
direct_trust = [ { domain = "pinned.example", sha256 = ")" + pin_colons + R"(" } ]
)";

using Overrides = std::vector<std::pair<std::string, std::string>>;

// A Postfix 3.7 RCPT request from an anonymous client without TLS, with `overrides` applied
// (replacing a value, or appended when new), parsed by the wire-format reader.
Attributes request(const Overrides& overrides = {}) {
    std::vector<std::pair<std::string, std::string>> a = {
        {"request", "smtpd_access_policy"}, {"protocol_state", "RCPT"}, {"protocol_name", "ESMTP"},
        {"helo_name", "mx.far.example"}, {"queue_id", ""}, {"sender", "a@far.example"},
        {"recipient", "bob@example.com"}, {"recipient_count", "0"}, {"client_address", "198.51.100.7"},
        {"client_name", "mx.far.example"}, {"reverse_client_name", "mx.far.example"}, {"instance", "1a2b.6543.0"},
        {"sasl_method", ""}, {"sasl_username", ""}, {"sasl_sender", ""}, {"size", "0"}, {"ccert_subject", ""},
        {"ccert_issuer", ""}, {"ccert_fingerprint", ""}, {"ccert_pubkey_fingerprint", ""},
        {"encryption_protocol", ""}, {"encryption_cipher", ""}, {"encryption_keysize", "0"}, {"etrn_domain", ""},
        {"stress", ""}, {"client_port", "40000"}, {"policy_context", "internet"}, {"server_address", "192.0.2.1"},
        {"server_port", "25"},
    };
    for (const auto& [name, value] : overrides) {
        bool replaced = false;
        for (auto& item : a)
            if (item.first == name) item.second = value, replaced = true;
        if (!replaced) a.emplace_back(name, value);
    }
    std::string wire;
    for (const auto& [name, value] : a) wire += name + "=" + value + "\n";
    wire += "\n";
    PolicyRequestReader reader;
    BOOST_TEST_REQUIRE(reader.feed(wire), reader.error());
    auto parsed = reader.pop();
    BOOST_TEST_REQUIRE(parsed.has_value());
    return std::move(*parsed);
}

const std::string prefix = "NOQUEUE: policy ";
const std::string from_anon = "RCPT from mx.far.example[198.51.100.7]:40000: ";
const std::string tail = "from=<a@far.example> to=<bob@example.com> proto=ESMTP helo=<mx.far.example>";

struct Fixture {
    TempDir dir{"policy-service"};
    std::shared_ptr<const Ruleset> rules = load_ok(dir, rules_toml);
    CertHandoff handoff;

    PolicyDecision ask(const Attributes& req, Clock::time_point now = t0) {
        return answer_policy_request(*rules, req, handoff, now);
    }
    std::optional<Handoff> handed_off(std::string_view client_port = "40000", std::string_view server_port = "25") {
        auto key = make_connection_key("198.51.100.7", client_port, "192.0.2.1", server_port);
        BOOST_TEST_REQUIRE(key.has_value());
        return handoff.find(*key, t0 + 5s);
    }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(service, Fixture)

BOOST_AUTO_TEST_CASE(accepted_domain_is_ok) {
    auto d = ask(request());
    BOOST_TEST(d.action == "OK");
    BOOST_TEST(d.log_line == prefix + "OK: " + from_anon +
                                 "relay granted; rule=\"connector Internet: accepted domain\" connector=Internet " + tail);
    // Any accepted domain type, wildcard included.
    BOOST_TEST(ask(request({{"recipient", "x@relay.example"}})).action == "OK");
    BOOST_TEST(ask(request({{"recipient", "x@sub.example.com"}})).action == "OK");
    BOOST_TEST(ask(request({{"recipient", "Bob@EXAMPLE.com."}})).action == "OK");
    // Relay control passed, a later check refuses: still OK, the milter gives the refusal at RCPT.
    auto unknown = ask(request({{"recipient", "nobody@listed.example"}}));
    BOOST_TEST(unknown.action == "OK");
    BOOST_TEST(unknown.log_line.find("relay granted; rule=\"connector Internet: accepted domain\"") != std::string::npos,
               unknown.log_line);
    BOOST_TEST(ask(request({{"recipient", "alice@listed.example"}})).action == "OK");
}

BOOST_AUTO_TEST_CASE(outside_domain_anonymous_is_dunno) {
    auto d = ask(request({{"recipient", "carol@far.example"}}));
    BOOST_TEST(d.action == "DUNNO");
    BOOST_TEST(d.log_line == prefix + "DUNNO: " + from_anon +
                                 "554 5.7.1 <carol@far.example>: Relay access denied; "
                                 "rule=\"connector Internet: no accept-any-recipient\" connector=Internet "
                                 "from=<a@far.example> to=<carol@far.example> proto=ESMTP helo=<mx.far.example>");
    // The null sender gains nothing.
    BOOST_TEST(ask(request({{"sender", ""}, {"recipient", "carol@far.example"}})).action == "DUNNO");
}

BOOST_AUTO_TEST_CASE(authenticated_user_on_a_relaying_connector_is_ok) {
    auto req = request({{"policy_context", "submission"}, {"server_port", "587"}, {"sasl_method", "PLAIN"},
                        {"sasl_username", "alice"}, {"sender", "alice@example.com"},
                        {"recipient", "friend@far.example"}, {"encryption_protocol", "TLSv1.3"},
                        {"encryption_cipher", "TLS_AES_256_GCM_SHA384"}});
    auto d = ask(req);
    BOOST_TEST(d.action == "OK");
    BOOST_TEST(d.log_line == prefix + "OK: " + from_anon +
                                 "relay granted; rule=\"connector Submission: accept-any-recipient\" "
                                 "connector=Submission from=<alice@example.com> to=<friend@far.example> proto=ESMTP "
                                 "helo=<mx.far.example> login=alice tls=TLSv1.3");
    // XCLIENT LOGIN reaches the policy service as sasl_username with sasl_method XCLIENT.
    auto xclient = request({{"policy_context", "submission"}, {"server_port", "587"}, {"sasl_method", "XCLIENT"},
                            {"sasl_username", "alice"}, {"sender", "alice@example.com"},
                            {"recipient", "friend@far.example"}, {"encryption_protocol", "TLSv1.3"}});
    BOOST_TEST(ask(xclient).action == "OK");
    // The same user without TLS: Submission refuses MAIL (530 5.7.0), so no relay.
    auto plain = request({{"policy_context", "submission"}, {"server_port", "587"}, {"sasl_username", "alice"},
                          {"sender", "alice@example.com"}, {"recipient", "friend@far.example"}});
    auto refused = ask(plain);
    BOOST_TEST(refused.action == "DUNNO");
    BOOST_TEST(refused.log_line.find(": MAIL would be refused: 530 5.7.0 Must issue a STARTTLS command first; "
                                     "rule=\"connector Submission: require_tls\" connector=Submission") !=
                   std::string::npos,
               refused.log_line);
}

BOOST_AUTO_TEST_CASE(percent_hack_and_bang_path_anonymous_are_dunno) {
    for (const char* rcpt : {"user%victim.example@example.com", "victim.example!user@example.com"}) {
        BOOST_TEST_CONTEXT(rcpt) {
            auto d = ask(request({{"recipient", rcpt}}));
            BOOST_TEST(d.action == "DUNNO");
            BOOST_TEST(d.log_line.find("554 5.7.1 <" + std::string(rcpt) +
                                       ">: Relay access denied; rule=\"connector Internet: routing characters, "
                                       "no accept-any-recipient\"") != std::string::npos,
                       d.log_line);
        }
    }
    // Postfix sends a quoted local part unquoted (its internal form): "user@victim.example"@example.com
    // arrives as user@victim.example@example.com, and its '@' is a routing character too.
    auto quoted = ask(request({{"recipient", "user@victim.example@example.com"}}));
    BOOST_TEST(quoted.action == "DUNNO");
    BOOST_TEST(quoted.log_line.find(": 554 5.7.1 <\"user@victim.example\"@example.com>: Relay access denied; "
                                    "rule=\"connector Internet: routing characters, no accept-any-recipient\"") !=
                   std::string::npos,
               quoted.log_line);
    // An unquoted space is just a local part that needed quotes: our domain, granted.
    BOOST_TEST(ask(request({{"recipient", "john smith@example.com"}})).action == "OK");
    // A session that may relay anyway gets OK: nothing to trick.
    auto user = request({{"policy_context", "submission"}, {"server_port", "587"}, {"sasl_username", "alice"},
                         {"sender", "alice@example.com"}, {"recipient", "user%victim.example@example.com"},
                         {"encryption_protocol", "TLSv1.3"}});
    BOOST_TEST(ask(user).action == "OK");
}

BOOST_AUTO_TEST_CASE(policy_context_selects_the_connector) {
    Overrides user = {{"sasl_username", "alice"}, {"sasl_method", "PLAIN"}, {"sender", "alice@example.com"},
                      {"recipient", "friend@far.example"}, {"encryption_protocol", "TLSv1.3"}};
    auto with = [&](const Overrides& extra) {
        Overrides all = user;
        all.insert(all.end(), extra.begin(), extra.end());
        return ask(request(all));
    };
    // Same client, same server address and port 25: the context decides.
    auto submission = with({{"policy_context", "submission"}});
    BOOST_TEST(submission.action == "OK");
    BOOST_TEST(submission.log_line.find(" connector=Submission ") != std::string::npos, submission.log_line);
    // On Internet an authenticated session is in `users`, which Internet does not list: no submit.
    auto internet = with({{"policy_context", "internet"}});
    BOOST_TEST(internet.action == "DUNNO");
    BOOST_TEST(internet.log_line.find("MAIL would be refused: 530 5.7.0 Authentication required;") != std::string::npos,
               internet.log_line);
    // Without a context the binding decides, as the milter does without {daemon_name}.
    BOOST_TEST(with({{"policy_context", ""}, {"server_port", "587"}}).action == "OK");
    BOOST_TEST(with({{"policy_context", ""}, {"server_port", "25"}}).action == "DUNNO");
    // No connector at all: DUNNO, never a guess.
    auto none = with({{"policy_context", "nosuch"}, {"server_port", "26"}});
    BOOST_TEST(none.action == "DUNNO");
    BOOST_TEST(none.log_line.find("MAIL would be refused: 451 4.3.5 No receive connector for this service") !=
                   std::string::npos,
               none.log_line);
}

BOOST_AUTO_TEST_CASE(only_rcpt_is_judged) {
    for (const char* state : {"CONNECT", "EHLO", "MAIL", "DATA", "END-OF-MESSAGE", "VRFY", "ETRN", "rcpt"}) {
        BOOST_TEST_CONTEXT(state) {
            auto d = ask(request({{"protocol_state", state}}));
            BOOST_TEST(d.action == "DUNNO");
            BOOST_TEST(d.log_line == prefix + "DUNNO: " + state + " from mx.far.example[198.51.100.7]:40000: " +
                                         "only RCPT is judged, not '" + state + "'; " + tail);
        }
    }
    // The state is still a fact about the connection: the hand-off is recorded.
    BOOST_TEST(handed_off().has_value());
}

BOOST_AUTO_TEST_CASE(unknown_or_missing_request_is_dunno_and_logged) {
    auto other = ask(request({{"request", "junk_mail_policy"}, {"encryption_protocol", "TLSv1.3"},
                              {"ccert_fingerprint", pin_colons}}));
    BOOST_TEST(other.action == "DUNNO");
    BOOST_TEST(other.log_line == "warning: policy request 'junk_mail_policy' is not smtpd_access_policy: DUNNO");
    BOOST_TEST(!handed_off().has_value());  // nothing from a request that is not Postfix's

    Attributes empty;
    auto missing = ask(empty);
    BOOST_TEST(missing.action == "DUNNO");
    BOOST_TEST(missing.log_line == "warning: policy request without a request attribute: DUNNO");
}

BOOST_AUTO_TEST_CASE(unparseable_values_are_dunno) {
    auto client = ask(request({{"client_address", "not-an-ip"}}));
    BOOST_TEST(client.action == "DUNNO");
    BOOST_TEST(client.log_line ==
               "warning: NOQUEUE: policy DUNNO: RCPT from mx.far.example[not-an-ip]:40000: client_address "
               "'not-an-ip' is not an IP address; " + tail);
    auto sender = ask(request({{"sender", "a@far..example"}}));
    BOOST_TEST(sender.action == "DUNNO");
    BOOST_TEST(sender.log_line.find(": sender unparseable: ") != std::string::npos, sender.log_line);
    auto rcpt = ask(request({{"recipient", ""}}));
    BOOST_TEST(rcpt.action == "DUNNO");
    BOOST_TEST(rcpt.log_line.find(": recipient unparseable: ") != std::string::npos, rcpt.log_line);
    BOOST_TEST(ask(request({{"recipient", "bob"}})).action == "DUNNO");  // no domain: not guessed
}

BOOST_AUTO_TEST_CASE(log_line_carries_the_queue_id_and_stays_one_line) {
    auto d = ask(request({{"queue_id", "4FzZ1k3QmVz9sT"}, {"helo_name", "evil\tname\x01"}}));
    BOOST_TEST(d.action == "OK");
    BOOST_TEST(d.log_line.rfind("4FzZ1k3QmVz9sT: policy OK: RCPT from ", 0) == 0u, d.log_line);
    BOOST_TEST(d.log_line.find("helo=<evil\\x09name\\x01>") != std::string::npos, d.log_line);
}

// --- Direct Trust: the fingerprint hand-off ----------------------------------------------------

BOOST_AUTO_TEST_CASE(untrusted_certificate_fingerprint_is_handed_off) {
    auto d = ask(request({{"encryption_protocol", "TLSv1.3"}, {"encryption_cipher", "TLS_AES_256_GCM_SHA384"},
                          {"ccert_fingerprint", pin_colons}, {"ccert_pubkey_fingerprint", wrong_colons}}));
    BOOST_TEST(d.action == "OK");
    BOOST_TEST(d.log_line.find(" tls=TLSv1.3 cert=unverified sha256=" + pin) != std::string::npos, d.log_line);
    auto h = handed_off();
    BOOST_TEST_REQUIRE(h.has_value());
    BOOST_TEST(h->tls);
    BOOST_TEST(h->certificate);
    BOOST_TEST(h->sha256.value_or("") == pin);  // the certificate's, not the public key's
    BOOST_TEST((h->recorded == t0));
    // Keyed by all four values: another client port or server port is another connection.
    BOOST_TEST(!handed_off("40001", "25").has_value());
    BOOST_TEST(!handed_off("40000", "587").has_value());
    // The milter may see the client as IPv4-mapped IPv6.
    auto mapped = make_connection_key("::ffff:198.51.100.7", "40000", "::ffff:192.0.2.1", "25");
    BOOST_TEST(handoff.find(*mapped, t0 + 1s).has_value());
}

BOOST_AUTO_TEST_CASE(trusted_certificate_and_the_absence_of_one_are_handed_off) {
    auto req = request({{"encryption_protocol", "TLSv1.3"}, {"ccert_subject", "mx.pinned.example"},
                        {"ccert_issuer", "Test+20CA"}, {"ccert_fingerprint", pin_colons}});
    std::string error;
    auto facts = session_facts_from(req, error);
    BOOST_TEST_REQUIRE(facts.has_value(), error);
    BOOST_TEST_REQUIRE(facts->tls->cert.has_value());
    BOOST_TEST(facts->tls->cert->verified);
    BOOST_TEST(facts->tls->cert->subject == "mx.pinned.example");
    BOOST_TEST(facts->tls->cert->issuer == "Test CA");  // xtext-decoded
    BOOST_TEST(facts->tls->cert->sha256.value_or("") == pin);
    BOOST_TEST(ask(req).log_line.find(" cert=verified sha256=" + pin) != std::string::npos);
    BOOST_TEST(handed_off()->sha256.value_or("") == pin);

    // The same connection, next RCPT, as if TLS had no certificate: the newer facts replace.
    ask(request({{"encryption_protocol", "TLSv1.3"}}), t0 + 1s);
    auto h = handed_off();
    BOOST_TEST_REQUIRE(h.has_value());
    BOOST_TEST(h->tls);
    BOOST_TEST(!h->certificate);
    BOOST_TEST(!h->sha256.has_value());

    // No TLS at all; a certificate attribute without TLS is not believed.
    ask(request({{"ccert_fingerprint", pin_colons}}), t0 + 2s);
    h = handed_off();
    BOOST_TEST_REQUIRE(h.has_value());
    BOOST_TEST(!h->tls);
    BOOST_TEST(!h->certificate);

    // An MD5 fingerprint (smtpd_tls_fingerprint_digest = md5): a certificate, no usable fingerprint.
    ask(request({{"encryption_protocol", "TLSv1.2"}, {"ccert_fingerprint", "C2:9D:F4:87:71:73:73:D9:18:E7:C2:F3:C1:DA:6E:04"}}),
        t0 + 3s);
    h = handed_off();
    BOOST_TEST(h->certificate);
    BOOST_TEST(!h->sha256.has_value());
}

BOOST_AUTO_TEST_CASE(no_handoff_without_all_four_values) {
    auto d = ask(request({{"server_address", ""}, {"encryption_protocol", "TLSv1.3"}, {"ccert_fingerprint", pin_colons}}));
    BOOST_TEST(d.action == "OK");  // policy_context still picks the connector
    BOOST_TEST(d.log_line.find(" handoff=none") != std::string::npos, d.log_line);
    BOOST_TEST(handoff.size() == 0u);
}

BOOST_AUTO_TEST_CASE(pinned_partner_right_and_wrong_fingerprint) {
    auto pinned = [&](const std::string& fingerprint, const std::string& rcpt, const std::string& context) {
        return ask(request({{"sender", "a@pinned.example"}, {"encryption_protocol", "TLSv1.3"},
                            {"ccert_fingerprint", fingerprint}, {"recipient", rcpt}, {"policy_context", context}}));
    };
    // Internet: the pinned partner reaches our domains...
    auto right = pinned(pin_colons, "bob@example.com", "internet");
    BOOST_TEST(right.action == "OK");
    // ...but partners have no accept-any-recipient by default (README "Receive connectors and permission groups"): no relay.
    BOOST_TEST(pinned(pin_colons, "carol@far.example", "internet").action == "DUNNO");
    // The wrong fingerprint fails the pin at RCPT (454 4.7.5): not even our domains are granted.
    auto wrong = pinned(wrong_colons, "bob@example.com", "internet");
    BOOST_TEST(wrong.action == "DUNNO");
    BOOST_TEST(wrong.log_line.find("454 4.7.5 <a@pinned.example>: Certificate validation failure for "
                                   "pinned.example; rule=\"direct trust pinned.example\"") != std::string::npos,
               wrong.log_line);

    // Partners: a connector where domain-secured partners may relay.
    auto relay = pinned(pin_colons, "carol@far.example", "partners");
    BOOST_TEST(relay.action == "OK");
    BOOST_TEST(relay.log_line.find("rule=\"connector Partners: accept-any-recipient\" connector=Partners") !=
                   std::string::npos,
               relay.log_line);
    auto relay_wrong = pinned(wrong_colons, "carol@far.example", "partners");
    BOOST_TEST(relay_wrong.action == "DUNNO");
    BOOST_TEST(relay_wrong.log_line.find(": 454 4.7.5 ") != std::string::npos, relay_wrong.log_line);
    BOOST_TEST(pinned("", "carol@far.example", "partners").action == "DUNNO");  // TLS, no certificate
    // Without TLS, and for a sender domain that is not pinned, nobody relays there.
    BOOST_TEST(ask(request({{"sender", "a@pinned.example"}, {"recipient", "carol@far.example"},
                            {"policy_context", "partners"}}))
                   .action == "DUNNO");
    auto stranger = ask(request({{"encryption_protocol", "TLSv1.3"}, {"ccert_fingerprint", pin_colons},
                                 {"recipient", "carol@far.example"}, {"policy_context", "partners"}}));
    BOOST_TEST(stranger.action == "DUNNO");
    BOOST_TEST(stranger.log_line.find("MAIL would be refused: 530 5.7.0 Authentication required") !=
                   std::string::npos,
               stranger.log_line);
}

BOOST_AUTO_TEST_CASE(the_milter_takes_the_fingerprint_from_the_handoff) {
    // Postfix consults the service first, then the milter's RCPT event follows.
    auto d = ask(request({{"sender", "a@pinned.example"}, {"encryption_protocol", "TLSv1.3"},
                          {"ccert_fingerprint", pin_colons}, {"policy_context", "partners"},
                          {"server_port", "2525"}, {"recipient", "carol@far.example"}}));
    BOOST_TEST(d.action == "OK");

    // The milter's own view: TLS, no certificate (untrusted: no {cert_subject}), no fingerprint.
    SessionFacts f;
    f.mta = Mta::postfix;
    f.daemon_name = "partners";
    f.client_address = ip("198.51.100.7");
    f.local_address = ip("192.0.2.1");
    f.local_port = 2525;
    f.tls = tls13();
    Session without(rules, f);
    BOOST_TEST(without.mail_from("a@pinned.example").code == 250);
    BOOST_TEST(reply(without.rcpt_to("carol@far.example").verdict) ==
               "454 4.7.5 <a@pinned.example>: Certificate validation failure for pinned.example");

    // {client_addr} {client_port} {daemon_addr} {daemon_port} find the hand-off.
    auto key = make_connection_key("198.51.100.7", "40000", "192.0.2.1", "2525");
    auto h = handoff.find(*key, t0 + 1s);
    BOOST_TEST_REQUIRE(h.has_value());
    apply_handoff(f, *h);
    Session with(rules, f);
    BOOST_TEST(with.mail_from("a@pinned.example").code == 250, trace_text(with.mail.trace));
    const auto& r = with.rcpt_to("carol@far.example");
    BOOST_TEST(reply(r.verdict) == "250 2.1.5 Ok", trace_text(r.trace));
    BOOST_TEST(with.mail.context.domain_secure.value_or("") == "pinned.example");
}

BOOST_AUTO_TEST_SUITE_END()
