// The DNS resolver of standalone mode (README "DNS"): libunbound, validating DNSSEC itself, run
// asynchronously on the Asio loop. libunbound resolves in a thread of its own and signals results
// on one descriptor; the resolver waits for that descriptor on its strand and calls ub_process()
// there, which runs the per-query callbacks; each query's deadline is a timer that cancels it.
//
// A query never throws and never blocks a thread: every outcome, a timeout or libunbound's own
// error included, is a DnsAnswer whose status says what happened (dns_answer.hpp).
//
// Owned through shared_ptr: the descriptor wait keeps the resolver alive until stop(). Queries may
// be made from any executor; they run on the resolver's strand and resume on the caller's.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/daemon_config.hpp"
#include "core/result.hpp"
#include "smtp/asio.hpp"
#include "smtp/dns/dns_answer.hpp"

struct ub_result;  // unbound.h

namespace mw::smtp::dns {

struct ResolverConfig {
    std::vector<std::string> forwarders;  // "ADDR@PORT"; empty: the servers of /etc/resolv.conf
    std::filesystem::path resolv_conf = "/etc/resolv.conf";
    std::filesystem::path trust_anchor;  // DS or DNSKEY records; empty: no validation (all insecure)
    std::filesystem::path unbound_config;  // an extra unbound.conf for ub_ctx_config; empty: none
};

// `[dns]` of mailwarden.toml as the resolver takes it.
ResolverConfig resolver_config(const DaemonConfig::Dns& dns);

class Resolver : public std::enable_shared_from_this<Resolver> {
public:
    // A configuration libunbound refuses (a trust anchor it cannot read, a bad forwarder, an
    // unreadable unbound_config) is an Error of code `config`, its detail naming the file.
    static Result<std::shared_ptr<Resolver>> create(asio::any_io_executor executor, const ResolverConfig& config);
    ~Resolver();
    Resolver(const Resolver&) = delete;
    Resolver& operator=(const Resolver&) = delete;

    // One lookup; `name` with or without its trailing dot.
    asio::awaitable<DnsAnswer> query(std::string name, DnsType type, std::chrono::milliseconds timeout);

    // Ends the descriptor wait and every pending query (they answer resolver_error); idempotent.
    // Call it before the executor's io_context is destroyed.
    void stop();

    bool validating() const { return validating_; }

private:
    struct Context;
    struct Pending;
    explicit Resolver(asio::any_io_executor executor);
    asio::awaitable<DnsAnswer> run_query(std::string name, DnsType type, std::chrono::milliseconds timeout);
    void watch();
    static void on_result(void* data, int err, ::ub_result* result);

    asio::strand<asio::any_io_executor> strand_;
    std::unique_ptr<Context> context_;
    bool validating_ = false;
};

// Runs `query` on a private io_context until it answers: for the command line (`explain
// --resolve`), where nothing else runs.
DnsAnswer resolve_blocking(const ResolverConfig& config, const std::string& name, DnsType type,
                           std::chrono::milliseconds timeout, std::string* setup_error = nullptr);

}  // namespace mw::smtp::dns
