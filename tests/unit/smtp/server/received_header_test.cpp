#define BOOST_TEST_MODULE smtp received header
#include <boost/test/unit_test.hpp>

#include "smtp/server/received_header.hpp"

using namespace mw::smtp::server;

namespace {

ReceivedInfo sample() {
    ReceivedInfo info;
    info.helo = "client.example";
    info.client_name = "mail.client.example";
    info.client_address = "192.0.2.1";
    info.hostname = "mx.example.com";
    info.queue_id = "4Xyz12";
    info.time = 1795428000;  // Mon, 23 Nov 2026 10:00:00 UTC
    return info;
}

}  // namespace

BOOST_AUTO_TEST_CASE(date_is_rfc5322_utc) {
    BOOST_TEST(rfc5322_date(1795428000) == "Mon, 23 Nov 2026 10:00:00 +0000");
    BOOST_TEST(rfc5322_date(0) == "Thu, 01 Jan 1970 00:00:00 +0000");
    BOOST_TEST(rfc5322_date(951782400) == "Tue, 29 Feb 2000 00:00:00 +0000");
}

BOOST_AUTO_TEST_CASE(protocol_words) {
    auto info = sample();
    info.esmtp = false;
    BOOST_TEST(protocol_word(info) == "SMTP");
    info.esmtp = true;
    BOOST_TEST(protocol_word(info) == "ESMTP");
    info.tls = true;
    BOOST_TEST(protocol_word(info) == "ESMTPS");
    info.authenticated = true;
    BOOST_TEST(protocol_word(info) == "ESMTPSA");
    info.tls = false;
    BOOST_TEST(protocol_word(info) == "ESMTPA");
    info.smtputf8 = true;
    BOOST_TEST(protocol_word(info) == "UTF8SMTPA");
    info.tls = true;
    BOOST_TEST(protocol_word(info) == "UTF8SMTPSA");
    info.authenticated = false;
    BOOST_TEST(protocol_word(info) == "UTF8SMTPS");
    info.tls = false;
    BOOST_TEST(protocol_word(info) == "UTF8SMTP");
}

BOOST_AUTO_TEST_CASE(postfix_form_with_tls_and_one_recipient) {
    auto info = sample();
    info.tls = true;
    info.tls_version = "TLSv1.3";
    info.tls_cipher = "TLS_AES_256_GCM_SHA384";
    info.cipher_bits = 256;
    info.single_recipient = "bob@example.com";
    BOOST_TEST(received_header(info) ==
               "Received: from client.example (mail.client.example [192.0.2.1])\r\n"
               "\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits))\r\n"
               "\tby mx.example.com (mailwarden) with ESMTPS id 4Xyz12\r\n"
               "\tfor <bob@example.com>; Mon, 23 Nov 2026 10:00:00 +0000\r\n");
}

BOOST_AUTO_TEST_CASE(without_tls_and_several_recipients) {
    auto info = sample();
    info.client_name = "unknown";
    info.client_address = "IPv6:2001:db8::1";
    BOOST_TEST(received_header(info) ==
               "Received: from client.example (unknown [IPv6:2001:db8::1])\r\n"
               "\tby mx.example.com (mailwarden) with ESMTP id 4Xyz12;\r\n"
               "\tMon, 23 Nov 2026 10:00:00 +0000\r\n");
}

BOOST_AUTO_TEST_CASE(helo_is_sanitized) {
    auto info = sample();
    info.helo = "evil\r\nX-Injected: yes\x01\xc3\xa9";
    std::string header = received_header(info);
    BOOST_TEST(header.rfind("Received: from evil??X-Injected:?yes??? (", 0) == 0);
    info.helo = std::string(1000, 'a');
    header = received_header(info);
    BOOST_TEST(header.find(std::string(255, 'a') + " (") != std::string::npos);
    BOOST_TEST(header.find(std::string(256, 'a')) == std::string::npos);
    info.single_recipient = "a\r\nb@example.com";
    BOOST_TEST(received_header(info).find("for <a??b@example.com>") != std::string::npos);
}
