// The daemon configuration, `mailwarden.toml` (README "mailwarden serve"): where the daemon
// listens and runs. Rules say *what* is allowed; this file says *where*. Every key has a default,
// so `mailwarden serve --rules DIR` alone works; command-line flags override the file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace mw {

// A listener address as admins write it: "unix:/path/to.sock" or "inet:127.0.0.1:8891"
// ("inet:[::1]:8891" for IPv6). Empty, or its section's `enabled = false`: the listener is off.
struct ListenAddress {
    enum class Kind { unix_socket, inet } kind = Kind::unix_socket;
    std::filesystem::path path;  // unix
    std::string host;            // inet: an IP address literal
    std::uint16_t port = 0;      // inet
    std::string str() const;     // as written: "unix:/path" or "inet:host:port"
};
// Throws ConfigError (message without location) when the text is not a listener address.
ListenAddress parse_listen_address(const std::string& text);

// A DNS server to forward queries to, as `[dns] forwarders` lists it: "ADDR", "ADDR:PORT" or
// "[V6ADDR]:PORT" (a bare IPv6 address is also taken). Port 53 when none is given.
struct DnsForwarder {
    std::string address;  // an IP address literal
    std::uint16_t port = 53;
    std::string unbound_form() const;  // "ADDR@PORT", as libunbound's ub_ctx_set_fwd takes it
};
// Throws ConfigError (message without location) when the text is not such an address.
DnsForwarder parse_dns_forwarder(const std::string& text);

struct ListenerConfig {
    bool enabled = true;
    std::string listen;  // as written; parsed by parse_listen_address
    bool active() const { return enabled && !listen.empty(); }
};

struct DaemonConfig {
    std::filesystem::path file;  // the file read; empty when only defaults apply
    std::filesystem::path rules = "/etc/mailwarden/rules";
    std::filesystem::path state_dir = "/var/lib/mailwarden";
    std::string user = "mailwarden";  // privileges dropped after binding; ignored when not root
    // Group given the MTA-facing sockets (milter, socketmap, policy service), mode 0660: the MTA's
    // unprivileged processes must reach them, nobody else (the policy service accepts certificate
    // fingerprints, so it must not be writable by every local user). Default: "postfix" when that
    // group exists, else the daemon's own group. Started without root, serve can give the sockets
    // only a group of its own; for any other it keeps their group and logs a warning.
    std::string socket_group;
    ListenerConfig milter{true, "unix:/var/spool/postfix/mailwarden/milter.sock"};
    ListenerConfig socketmap{true, "unix:/var/spool/postfix/mailwarden/socketmap.sock"};
    ListenerConfig policy_service{true, "unix:/var/spool/postfix/mailwarden/policy.sock"};
    ListenerConfig control{true, "unix:/run/mailwarden/control.sock"};
    struct Smtp {
        bool enabled = false;
        std::filesystem::path tls_cert = "/etc/mailwarden/tls/server.pem";
        std::filesystem::path tls_key = "/etc/mailwarden/tls/server.key";
        std::filesystem::path users_file = "/etc/mailwarden/users";
    } smtp;
    struct Delivery {
        std::string maildir = "/var/mail/{domain}/{user}/";
        std::string lmtp;
        std::uint64_t queue_lifetime_seconds = 5 * 86400;
        std::uint64_t delay_warning_seconds = 4 * 3600;
        // More Received: fields than this (ours included) is a mail loop: 554 5.4.6 (Postfix's hopcount_limit).
        unsigned max_hops = 50;
        // Outbound SMTP (README "Outbound delivery"): the wait for a connection to open, for any
        // reply or write once it is open (Exchange's 10 minutes), and recipients per transaction.
        std::uint64_t connect_timeout_seconds = 30;
        std::uint64_t timeout_seconds = 600;
        unsigned recipient_limit = 50;
        // Deliveries at once (mail to other servers takes at most all but one), connections open
        // to other servers in total and to one destination (slow start grows each destination's
        // window from 5), and the transactions one kept-open connection carries.
        unsigned workers = 8;
        unsigned max_connections = 1000;
        unsigned max_connections_per_domain = 100;
        unsigned max_messages_per_connection = 100;
        // `retry = ["10m", "10m", "10m", "15m"]`: fixed retry intervals, the last repeated; empty:
        // Postfix's backoff (5 min doubling up to an hour).
        std::vector<std::uint64_t> retry_seconds;
    } delivery;
    // The resolver of standalone delivery and of the reverse-DNS lookups (README "DNS").
    struct Dns {
        std::vector<DnsForwarder> forwarders;  // empty: the system's resolvers (/etc/resolv.conf)
        std::filesystem::path trust_anchor = "/usr/share/dns/root.key";  // DS or DNSKEY records
        std::filesystem::path unbound_config;  // extra unbound.conf lines for ub_ctx_config; empty: none
    } dns;
    struct Log {
        std::string target = "stderr";  // stderr | syslog | a file path
    } log;
};

// A bad configuration file: the message is "FILE:LINE:COL: error: what" (or "FILE: error: what").
struct ConfigError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Where `--config` points when not given: this file if it exists, else built-in defaults.
inline constexpr const char* default_config_file = "/etc/mailwarden/mailwarden.toml";

// Reads `file` (relative `rules`/`state_dir` are relative to the file's directory). With no file
// given, reads default_config_file when it exists. Throws ConfigError.
DaemonConfig load_daemon_config(const std::optional<std::filesystem::path>& file);

}  // namespace mw
