#include "smtp/delivery/next_hop_resolution.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <random>

namespace mw::smtp::delivery {

using dns::DnsAnswer;
using dns::DnsSecurity;
using dns::DnsStatus;
using dns::DnsType;

std::string DeliveryTarget::str() const {
    return host + "[" + address + "]:" + std::to_string(port);
}

bool is_address_literal(const std::string& host) {
    unsigned char buf[16];
    return ::inet_pton(AF_INET, host.c_str(), buf) == 1 || ::inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

namespace {

std::string name_service_error(const DnsAnswer& a) {
    return "Name service error for name=" + a.name + " type=" + std::string(dns::to_string(a.type)) + ": ";
}

// An answer that cannot be acted on: the mail waits. The public text never carries why_bogus (it
// names our forwarders); the log's detail does.
ResolvedNextHop temporary(const DnsAnswer& a) {
    ResolvedNextHop r;
    r.status = ResolvedNextHop::Status::temporary;
    r.local_resolver = a.status == DnsStatus::resolver_error;
    const bool bogus = a.security == DnsSecurity::bogus;
    std::string what = bogus ? "DNSSEC validation failed"
                       : a.status == DnsStatus::timeout ? "lookup timed out"
                       : r.local_resolver               ? "local resolver error"
                                                        : a.failure();
    r.failure = SmtpReply{451, "4.4.3", name_service_error(a) + what};
    r.detail = a.failure();
    return r;
}

ResolvedNextHop permanent(std::string status, std::string text) {
    ResolvedNextHop r;
    r.status = ResolvedNextHop::Status::permanent;
    r.failure = SmtpReply{550, std::move(status), std::move(text)};
    return r;
}

struct Host {
    std::string name;
    int preference = 0;
};

void shuffle_equal_preferences(std::vector<Host>& hosts, const NextHopOptions& options) {
    std::stable_sort(hosts.begin(), hosts.end(), [](const Host& a, const Host& b) { return a.preference < b.preference; });
    std::random_device device;
    auto random = [&](std::size_t n) -> std::size_t {
        if (options.random) return options.random(n);
        return std::uniform_int_distribution<std::size_t>(0, n - 1)(device);
    };
    for (std::size_t begin = 0; begin < hosts.size();) {
        std::size_t end = begin;
        while (end < hosts.size() && hosts[end].preference == hosts[begin].preference) ++end;
        for (std::size_t i = end - begin; i > 1; --i) std::swap(hosts[begin + i - 1], hosts[begin + random(i)]);  // Fisher-Yates
        begin = end;
    }
}

asio::awaitable<ResolvedNextHop> resolve_hop(const policy::NextHop& hop, const NextHopOptions& options,
                                             const DnsLookup& lookup) {
    const bool smart_host = hop.kind == policy::NextHop::Kind::host;
    const std::uint16_t port = smart_host ? hop.host.port : hop.port;
    const std::string domain = smart_host ? hop.host.host : hop.domain;
    ResolvedNextHop result;
    result.status = ResolvedNextHop::Status::ok;

    if (smart_host && is_address_literal(domain)) {
        result.targets.push_back({domain, domain, port, 0, false});
        co_return result;
    }

    std::vector<Host> hosts;
    bool implicit = false;
    if (smart_host && hop.host.bracketed) {
        hosts.push_back({domain, 0});
        implicit = true;  // no MX lookup: the name's own addresses, as for an implicit MX
    } else {
        DnsAnswer mx = co_await lookup(domain, DnsType::mx);
        if (!mx.usable()) co_return temporary(mx);
        result.mx_secure = mx.security == DnsSecurity::secure;
        if (mx.status == DnsStatus::nxdomain)
            co_return permanent("5.4.4", "Host or domain name not found. " + name_service_error(mx) + "Host not found");
        if (mx.status == DnsStatus::nodata) {
            hosts.push_back({domain, 0});
            implicit = true;
        } else {
            for (const auto& r : mx.mx) {
                // RFC 7505 section 3: a null MX says the domain takes no mail at all.
                if (r.host.empty()) co_return permanent("5.1.10", "Recipient address " + domain + " has null MX");
                hosts.push_back({r.host, r.preference});
            }
            shuffle_equal_preferences(hosts, options);
            // RFC 5321 section 5.1: when we are one of the MX hosts, only the more preferred ones may
            // take the mail; sending it to an equal or less preferred one could loop.
            auto self = std::find_if(hosts.begin(), hosts.end(), [&](const Host& h) {
                return std::find(options.own_names.begin(), options.own_names.end(), h.name) != options.own_names.end();
            });
            if (self != hosts.end()) {
                int own = self->preference;
                std::erase_if(hosts, [&](const Host& h) { return h.preference >= own; });
                if (hosts.empty())
                    co_return permanent("5.4.6", "mail for " + domain + " loops back to myself");
            }
        }
    }

    std::optional<ResolvedNextHop> first_failure;
    std::string no_address;
    for (const auto& h : hosts) {
        if (result.targets.size() >= options.address_limit) break;
        bool found = false;
        for (DnsType type : {DnsType::aaaa, DnsType::a}) {
            if ((type == DnsType::aaaa && !options.ipv6) || (type == DnsType::a && !options.ipv4)) continue;
            DnsAnswer a = co_await lookup(h.name, type);
            if (!a.usable()) {
                if (!first_failure) first_failure = temporary(a);
                continue;
            }
            if (a.status != DnsStatus::answer) continue;
            for (const auto& address : a.addresses) {
                if (result.targets.size() >= options.address_limit) break;
                // A bracketed smart host has no MX step: its address answer alone decides.
                const bool mx_step_secure = (smart_host && hop.host.bracketed) || result.mx_secure;
                const bool secure = mx_step_secure && a.security == DnsSecurity::secure;
                result.targets.push_back({h.name, address, port, h.preference, secure});
                found = true;
            }
        }
        if (!found && no_address.empty()) no_address = h.name;
    }
    if (!result.targets.empty()) co_return result;
    if (first_failure) co_return *first_failure;
    if (implicit)
        co_return permanent("5.4.4", "Host or domain name not found. Name service error for name=" + domain +
                                         " type=A: Host not found");
    co_return permanent("5.4.4", "MX host " + no_address + " of " + domain + " has no address");
}

}  // namespace

asio::awaitable<ResolvedNextHop> resolve_next_hop(const policy::NextHop& hop, NextHopOptions options,
                                                  DnsLookup lookup) {
    ResolvedNextHop r = co_await resolve_hop(hop, options, lookup);
    if (r.status != ResolvedNextHop::Status::temporary || r.local_resolver) co_return r;
    // A timeout or SERVFAIL may be the destination's DNS or our own resolver's trouble: when the
    // root's NS records cannot be had either, it is ours (Postfix cannot tell; the admin can act).
    std::string root_name = ".";  // named: GCC 12 mishandles temporaries in co_await expressions
    DnsAnswer root = co_await lookup(std::move(root_name), DnsType::ns);
    if (root.status != DnsStatus::answer || root.security == DnsSecurity::bogus) {
        r.local_resolver = true;
        r.detail += (r.detail.empty() ? "" : "; ") + std::string("the root's NS records cannot be resolved either (") +
                    root.failure() + "): the local resolver is at fault, not the destination";
    }
    co_return r;
}

DnsLookup lookup_with(std::shared_ptr<dns::Resolver> resolver, std::chrono::milliseconds timeout) {
    return [resolver = std::move(resolver), timeout](std::string name, DnsType type) -> asio::awaitable<DnsAnswer> {
        co_return co_await resolver->query(std::move(name), type, timeout);
    };
}

Result<std::vector<ResolvedNextHop>> resolve_next_hops_blocking(const dns::ResolverConfig& config,
                                                                const std::vector<policy::NextHop>& hops,
                                                                const NextHopOptions& options,
                                                                std::chrono::milliseconds timeout) {
    asio::io_context io;
    auto resolver = dns::Resolver::create(io.get_executor(), config);
    if (!resolver) return resolver.error();
    auto r = *resolver;
    std::vector<ResolvedNextHop> out;
    bool failed = false;
    auto all = [&]() -> asio::awaitable<void> {
        for (const auto& hop : hops) out.push_back(co_await resolve_next_hop(hop, options, lookup_with(r, timeout)));
    };
    asio::co_spawn(io, all(), [&](std::exception_ptr e) {
        failed = e != nullptr;
        r->stop();
    });
    io.run();
    if (failed || out.size() != hops.size())
        return Error{Error::Kind::temporary, "resolve", "internal error while resolving", ErrorCode::internal};
    return out;
}

}  // namespace mw::smtp::delivery
