// mailwarden as a standalone MTA for integration tests: `mailwarden serve` with `[smtp] enabled`,
// the rules of tests/data/standalone-itest on free loopback ports, a STARTTLS identity and a users
// file made at test time, the queue in the daemon's state directory and Maildir delivery under the
// test's directory (or LMTP to a server the test runs).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "support/mailwarden_daemon.hpp"
#include "support/pki.hpp"
#include "support/swaks.hpp"
#include "test_support.hpp"

namespace mw::itest {

using namespace std::chrono_literals;

struct StandaloneOptions {
    std::string lmtp;            // [delivery] lmtp; empty: Maildir under DIR/mail
    std::string extra_delivery;  // more [delivery] lines (e.g. queue_lifetime)
    // Every connector's reverse_dns. "off" by default: a lookup would ask the system's resolvers,
    // and tests talk to loopback only. A test that turns it on gives a private DNS (DnsRig::dns_section).
    std::string reverse_dns = "off";
    // The [dns] table. Empty: a forwarder on a loopback port where nothing listens, so outbound
    // mail waits (4.4.3 local resolver failure) and no query leaves the machine.
    std::string dns;
};

// Logins of the users file: alice / alice-secret, kid1 / kid1-secret.
class StandaloneWorld {
public:
    StandaloneWorld(std::filesystem::path dir, const Pki& pki, StandaloneOptions options = {});

    MailwardenDaemon& daemon() { return *daemon_; }
    std::uint16_t smtp_port() const { return smtp_port_; }
    std::uint16_t submission_port() const { return submission_port_; }
    std::uint16_t limits_port() const { return limits_port_; }
    std::uint16_t tiny_port() const { return tiny_port_; }  // connector Tiny: 2 connections, 3 s sessions
    const std::filesystem::path& mail_root() const { return mail_root_; }

    SwaksOptions internet(std::string from, std::vector<std::string> to) const;
    SwaksOptions submission(std::string user, std::string password, std::vector<std::string> to) const;

    // The files delivered to USER@DOMAIN's Maildir (new/), their contents, oldest first.
    std::vector<std::string> mailbox(const std::string& user, const std::string& domain = "example.com") const;
    // The first delivered message containing `needle`, waiting up to `timeout` for delivery.
    std::optional<std::string> wait_message(const std::string& user, const std::string& needle,
                                            std::chrono::milliseconds timeout = 20s,
                                            const std::string& domain = "example.com") const;
    // `mailwarden queue ARGS --config ...`.
    mw::test::RunResult queue(std::vector<std::string> args) const;

private:
    std::filesystem::path dir_, mail_root_;
    std::uint16_t smtp_port_, submission_port_, limits_port_, tiny_port_;
    std::unique_ptr<MailwardenDaemon> daemon_;
};

}  // namespace mw::itest
