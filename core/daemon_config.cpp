#include "core/daemon_config.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <functional>
#include <map>
#include <system_error>

#include <toml++/toml.h>

#include "core/quantity.hpp"

namespace mw {

namespace fs = std::filesystem;

std::string ListenAddress::str() const {
    if (kind == Kind::unix_socket) return "unix:" + path.string();
    bool v6 = host.find(':') != std::string::npos;
    return "inet:" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

ListenAddress parse_listen_address(const std::string& text) {
    ListenAddress a;
    if (text.rfind("unix:", 0) == 0) {
        a.kind = ListenAddress::Kind::unix_socket;
        a.path = text.substr(5);
        if (a.path.empty() || !a.path.is_absolute())
            throw ConfigError("'" + text + "': a unix socket needs an absolute path (unix:/run/x.sock)");
        // sun_path holds 108 bytes including the terminating NUL.
        if (a.path.string().size() > 107) throw ConfigError("'" + text + "': socket path longer than 107 bytes");
        return a;
    }
    if (text.rfind("inet:", 0) == 0) {
        std::string rest = text.substr(5);
        std::string host, port;
        if (!rest.empty() && rest.front() == '[') {
            auto close = rest.find(']');
            if (close == std::string::npos || close + 1 >= rest.size() || rest[close + 1] != ':')
                throw ConfigError("'" + text + "': expected inet:[IPv6]:PORT");
            host = rest.substr(1, close - 1);
            port = rest.substr(close + 2);
        } else {
            auto colon = rest.rfind(':');
            if (colon == std::string::npos) throw ConfigError("'" + text + "': expected inet:HOST:PORT");
            host = rest.substr(0, colon);
            port = rest.substr(colon + 1);
        }
        unsigned char buf[16];
        if (::inet_pton(AF_INET, host.c_str(), buf) != 1 && ::inet_pton(AF_INET6, host.c_str(), buf) != 1)
            throw ConfigError("'" + text + "': '" + host + "' is not an IP address");
        unsigned value = 0;
        auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
        if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535)
            throw ConfigError("'" + text + "': '" + port + "' is not a port number");
        a.kind = ListenAddress::Kind::inet;
        a.host = host;
        a.port = static_cast<std::uint16_t>(value);
        return a;
    }
    throw ConfigError("'" + text + "': expected unix:/path or inet:HOST:PORT");
}

std::string DnsForwarder::unbound_form() const { return address + "@" + std::to_string(port); }

DnsForwarder parse_dns_forwarder(const std::string& text) {
    std::string host = text, port;
    if (!text.empty() && text.front() == '[') {
        auto close = text.find(']');
        if (close == std::string::npos || (close + 1 < text.size() && text[close + 1] != ':') ||
            close + 2 == text.size())
            throw ConfigError("'" + text + "': expected [IPv6]:PORT");
        host = text.substr(1, close - 1);
        if (close + 1 < text.size()) port = text.substr(close + 2);
    } else if (std::count(text.begin(), text.end(), ':') == 1) {
        auto colon = text.find(':');
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
    }
    unsigned char buf[16];
    if (::inet_pton(AF_INET, host.c_str(), buf) != 1 && ::inet_pton(AF_INET6, host.c_str(), buf) != 1)
        throw ConfigError("'" + text + "': '" + host + "' is not an IP address (a forwarder is ADDR, ADDR:PORT or [V6ADDR]:PORT)");
    DnsForwarder f;
    f.address = host;
    if (!port.empty()) {
        unsigned value = 0;
        auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
        if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535)
            throw ConfigError("'" + text + "': '" + port + "' is not a port number");
        f.port = static_cast<std::uint16_t>(value);
    }
    return f;
}

namespace {

class Reader {
public:
    explicit Reader(std::string file) : file_(std::move(file)) {}

    [[noreturn]] void fail(const toml::node& node, const std::string& what) const {
        const auto& b = node.source().begin;
        throw ConfigError(file_ + ":" + std::to_string(b.line) + ":" + std::to_string(b.column) + ": error: " + what);
    }
    [[noreturn]] void fail_key(const toml::key& key, const std::string& what) const {
        const auto& b = key.source().begin;
        throw ConfigError(file_ + ":" + std::to_string(b.line) + ":" + std::to_string(b.column) + ": error: " + what);
    }
    std::string string(const toml::node& n, const std::string& key) const {
        if (auto s = n.value<std::string>()) return *s;
        fail(n, "'" + key + "' must be a string");
    }
    bool boolean(const toml::node& n, const std::string& key) const {
        if (auto b = n.value<bool>()) return *b;
        fail(n, "'" + key + "' must be true or false");
    }
    unsigned count(const toml::node& n, const std::string& key, unsigned min, unsigned max) const {
        if (auto i = n.value<std::int64_t>(); i && *i >= min && *i <= max) return static_cast<unsigned>(*i);
        fail(n, "'" + key + "' must be a whole number from " + std::to_string(min) + " to " + std::to_string(max));
    }
    std::uint64_t duration(const toml::node& n, const std::string& key) const {
        if (auto i = n.value<std::int64_t>(); i && *i >= 0) return static_cast<std::uint64_t>(*i);
        if (auto s = n.value<std::string>())
            if (auto d = parse_duration(*s)) return *d;
        fail(n, "'" + key + "' must be a duration such as \"4h\" or \"5d\"");
    }
    std::uint64_t positive_duration(const toml::node& n, const std::string& key) const {
        std::uint64_t d = duration(n, key);
        if (d == 0) fail(n, "'" + key + "' must be longer than 0 seconds");
        return d;
    }
    // Calls the handler for each key; unknown keys are errors (a typo must not silently fall back
    // to a default listener address).
    void each(const toml::table& t, const std::string& where,
              const std::map<std::string, std::function<void(const toml::node&)>>& handlers) const {
        for (const auto& [k, v] : t) {
            auto it = handlers.find(std::string(k.str()));
            if (it == handlers.end())
                fail_key(k, "unknown key '" + std::string(k.str()) + "'" + (where.empty() ? "" : " in [" + where + "]"));
            it->second(v);
        }
    }
    const toml::table& table(const toml::node& n, const std::string& key) const {
        if (const auto* t = n.as_table()) return *t;
        fail(n, "'" + key + "' must be a table");
    }

private:
    std::string file_;
};

void read_listener(const Reader& r, const toml::node& n, const std::string& name, ListenerConfig& out) {
    r.each(r.table(n, name), name,
           {{"enabled", [&](const toml::node& v) { out.enabled = r.boolean(v, "enabled"); }},
            {"listen", [&](const toml::node& v) {
                 out.listen = r.string(v, "listen");
                 if (out.listen.empty()) return;
                 try {
                     parse_listen_address(out.listen);
                 } catch (const ConfigError& e) {
                     r.fail(v, e.what());
                 }
             }}});
}

void require_unix(const Reader& r, const toml::node& section, const std::string& name, const ListenerConfig& l) {
    if (l.listen.rfind("inet:", 0) != 0) return;
    const toml::node* at = section.as_table() ? section.as_table()->get("listen") : nullptr;
    r.fail(at ? *at : section, "[" + name + "] listen must be a unix socket: any local user could reach a TCP port");
}

fs::path relative_to(const fs::path& base, const fs::path& p) { return p.is_absolute() ? p : base / p; }

}  // namespace

DaemonConfig load_daemon_config(const std::optional<fs::path>& file) {
    DaemonConfig c;
    fs::path path;
    if (file) {
        path = *file;
    } else {
        std::error_code ec;
        if (!fs::exists(default_config_file, ec)) return c;
        path = default_config_file;
    }
    toml::table root;
    try {
        root = toml::parse_file(path.string());
    } catch (const toml::parse_error& e) {
        const auto& b = e.source().begin;
        if (b.line == 0) throw ConfigError(path.string() + ": error: " + std::string(e.description()));
        throw ConfigError(path.string() + ":" + std::to_string(b.line) + ":" + std::to_string(b.column) +
                          ": error: " + std::string(e.description()));
    }
    c.file = path;
    fs::path base = fs::absolute(path).parent_path();
    Reader r(path.string());
    r.each(root, "",
           {{"rules", [&](const toml::node& v) { c.rules = relative_to(base, r.string(v, "rules")); }},
            {"state_dir", [&](const toml::node& v) { c.state_dir = relative_to(base, r.string(v, "state_dir")); }},
            {"user", [&](const toml::node& v) { c.user = r.string(v, "user"); }},
            {"socket_group", [&](const toml::node& v) { c.socket_group = r.string(v, "socket_group"); }},
            {"milter", [&](const toml::node& v) { read_listener(r, v, "milter", c.milter); }},
            {"socketmap", [&](const toml::node& v) { read_listener(r, v, "socketmap", c.socketmap); }},
            {"policy_service",
             [&](const toml::node& v) {
                 read_listener(r, v, "policy_service", c.policy_service);
                 // It accepts certificate fingerprints for Direct Trust: only the MTA may talk to it,
                 // which file permissions can ensure and a TCP port cannot.
                 require_unix(r, v, "policy_service", c.policy_service);
             }},
            {"control",
             [&](const toml::node& v) {
                 read_listener(r, v, "control", c.control);
                 require_unix(r, v, "control", c.control);  // reload and status: root and `user` only
             }},
            {"smtp",
             [&](const toml::node& v) {
                 r.each(r.table(v, "smtp"), "smtp",
                        {{"enabled", [&](const toml::node& x) { c.smtp.enabled = r.boolean(x, "enabled"); }},
                         {"tls_cert", [&](const toml::node& x) { c.smtp.tls_cert = relative_to(base, r.string(x, "tls_cert")); }},
                         {"tls_key", [&](const toml::node& x) { c.smtp.tls_key = relative_to(base, r.string(x, "tls_key")); }},
                         {"users_file",
                          [&](const toml::node& x) { c.smtp.users_file = relative_to(base, r.string(x, "users_file")); }}});
             }},
            {"delivery",
             [&](const toml::node& v) {
                 r.each(r.table(v, "delivery"), "delivery",
                        {{"maildir", [&](const toml::node& x) { c.delivery.maildir = r.string(x, "maildir"); }},
                         {"lmtp", [&](const toml::node& x) { c.delivery.lmtp = r.string(x, "lmtp"); }},
                         {"queue_lifetime",
                          [&](const toml::node& x) { c.delivery.queue_lifetime_seconds = r.duration(x, "queue_lifetime"); }},
                         {"delay_warning",
                          [&](const toml::node& x) { c.delivery.delay_warning_seconds = r.duration(x, "delay_warning"); }},
                         {"max_hops", [&](const toml::node& x) { c.delivery.max_hops = r.count(x, "max_hops", 1, 1000); }},
                         {"connect_timeout",
                          [&](const toml::node& x) { c.delivery.connect_timeout_seconds = r.positive_duration(x, "connect_timeout"); }},
                         {"timeout", [&](const toml::node& x) { c.delivery.timeout_seconds = r.positive_duration(x, "timeout"); }},
                         {"retry",
                          [&](const toml::node& x) {
                              const auto* list = x.as_array();
                              if (!list || list->empty() || list->size() > 10)
                                  r.fail(x, "'retry' must be a list of 1 to 10 durations such as [\"10m\", \"15m\"]");
                              c.delivery.retry_seconds.clear();
                              for (const auto& item : *list) c.delivery.retry_seconds.push_back(r.positive_duration(item, "retry"));
                          }},
                         {"recipient_limit",
                          [&](const toml::node& x) { c.delivery.recipient_limit = r.count(x, "recipient_limit", 1, 1000); }},
                         {"workers", [&](const toml::node& x) { c.delivery.workers = r.count(x, "workers", 2, 256); }},
                         {"max_connections",
                          [&](const toml::node& x) { c.delivery.max_connections = r.count(x, "max_connections", 1, 100000); }},
                         {"max_connections_per_domain",
                          [&](const toml::node& x) {
                              c.delivery.max_connections_per_domain = r.count(x, "max_connections_per_domain", 1, 100000);
                          }},
                         {"max_messages_per_connection",
                          [&](const toml::node& x) {
                              c.delivery.max_messages_per_connection = r.count(x, "max_messages_per_connection", 1, 100000);
                          }}});
             }},
            {"dns",
             [&](const toml::node& v) {
                 r.each(r.table(v, "dns"), "dns",
                        {{"forwarders",
                          [&](const toml::node& x) {
                              const auto* list = x.as_array();
                              if (!list) r.fail(x, "'forwarders' must be a list of addresses such as [\"127.0.0.1:5353\"]");
                              c.dns.forwarders.clear();
                              for (const auto& item : *list) {
                                  try {
                                      c.dns.forwarders.push_back(parse_dns_forwarder(r.string(item, "forwarders")));
                                  } catch (const ConfigError& e) {
                                      if (std::string_view(e.what()).find(": error: ") != std::string_view::npos) throw;
                                      r.fail(item, e.what());
                                  }
                              }
                          }},
                         {"trust_anchor",
                          [&](const toml::node& x) { c.dns.trust_anchor = relative_to(base, r.string(x, "trust_anchor")); }},
                         {"unbound_config", [&](const toml::node& x) {
                              auto s = r.string(x, "unbound_config");
                              c.dns.unbound_config = s.empty() ? fs::path() : relative_to(base, s);
                          }}});
             }},
            {"log", [&](const toml::node& v) {
                 r.each(r.table(v, "log"), "log",
                        {{"target", [&](const toml::node& x) { c.log.target = r.string(x, "target"); }}});
             }}});
    return c;
}

}  // namespace mw
