#include "smtp/dns/resolver.hpp"

#include <unbound.h>

#include <cctype>
#include <fstream>
#include <map>
#include <optional>

namespace mw::smtp::dns {

namespace {

struct UbCtxDelete {
    void operator()(ub_ctx* ctx) const { ub_ctx_delete(ctx); }
};
using UbCtxPtr = std::unique_ptr<ub_ctx, UbCtxDelete>;

struct UbResultFree {
    void operator()(ub_result* r) const { ub_resolve_free(r); }
};

std::string host_form(const char* name) {
    std::string s = name ? name : "";
    if (!s.empty() && s.back() == '.') s.pop_back();
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

Error config_error(std::string origin, std::string detail) {
    return Error{Error::Kind::config, std::move(origin), std::move(detail), ErrorCode::config};
}

// libunbound's verdict, decoded. A record that does not decode makes the whole answer a server
// failure: acting on the records that did decode could pick a lower-priority MX, or none.
void fill_answer(const ub_result& r, DnsAnswer& a) {
    a.rcode = r.rcode;
    a.ttl = r.ttl > 0 ? static_cast<std::uint32_t>(r.ttl) : 0;
    a.canonical_name = host_form(r.canonname);
    a.security = r.secure ? DnsSecurity::secure : r.bogus ? DnsSecurity::bogus : DnsSecurity::insecure;
    if (r.bogus) {
        a.status = DnsStatus::server_failure;
        a.detail = r.why_bogus ? r.why_bogus : "";
        return;
    }
    if (r.havedata) {
        a.status = DnsStatus::answer;
        for (int i = 0; r.data[i]; ++i) {
            if (!decode_rdata(a.type, std::string_view(r.data[i], static_cast<std::size_t>(r.len[i])), a)) {
                DnsAnswer failed;
                failed.name = a.name;
                failed.type = a.type;
                failed.status = DnsStatus::server_failure;
                failed.security = a.security;
                failed.rcode = a.rcode;
                failed.detail = "malformed " + std::string(to_string(a.type)) + " record";
                a = std::move(failed);
                return;
            }
        }
        return;
    }
    if (r.nxdomain) a.status = DnsStatus::nxdomain;
    else if (r.rcode == 0) a.status = DnsStatus::nodata;
    else a.status = DnsStatus::server_failure;
}

}  // namespace

struct Resolver::Pending {
    explicit Pending(asio::strand<asio::any_io_executor>& strand) : timer(strand) {}
    Resolver::Context* context = nullptr;
    DnsAnswer answer;
    bool done = false;
    int id = 0;
    asio::steady_timer timer;  // cancelled by the callback: the query's coroutine wakes up
};

struct Resolver::Context {
    UbCtxPtr ctx;
    asio::posix::stream_descriptor fd;  // ub_fd(): libunbound owns it, so it is released, never closed
    std::map<int, std::shared_ptr<Pending>> pending;
    bool stopped = false;

    Context(UbCtxPtr c, asio::strand<asio::any_io_executor>& strand) : ctx(std::move(c)), fd(strand) {}
    ~Context() {
        if (fd.is_open()) fd.release();
    }
};

ResolverConfig resolver_config(const DaemonConfig::Dns& dns) {
    ResolverConfig c;
    for (const auto& f : dns.forwarders) c.forwarders.push_back(f.unbound_form());
    c.trust_anchor = dns.trust_anchor;
    c.unbound_config = dns.unbound_config;
    return c;
}

Resolver::Resolver(asio::any_io_executor executor) : strand_(asio::make_strand(executor)) {}

Resolver::~Resolver() = default;

Result<std::shared_ptr<Resolver>> Resolver::create(asio::any_io_executor executor, const ResolverConfig& config) {
    UbCtxPtr ctx(ub_ctx_create());
    if (!ctx) return Error{Error::Kind::temporary, "ub_ctx_create", "cannot create the resolver", ErrorCode::internal};
    auto option = [&](const char* name, const char* value) -> std::optional<Error> {
        if (int err = ub_ctx_set_option(ctx.get(), name, value))
            return config_error("ub_ctx_set_option", std::string(name) + " " + value + ": " + ub_strerror(err));
        return std::nullopt;
    };
    // Forwarders and the system's stub resolver are often on loopback (127.0.0.53, a local unbound),
    // which libunbound refuses to query by default. The LAN zones are the local DNS's business: without
    // these, every PTR of a client in 10/8 or 192.168/16 would answer NXDOMAIN from a built-in zone.
    for (auto [name, value] : {std::pair{"do-not-query-localhost:", "no"}, std::pair{"unblock-lan-zones:", "yes"},
                               std::pair{"insecure-lan-zones:", "yes"}}) {
        if (auto e = option(name, value)) return *e;
    }
    if (!config.unbound_config.empty()) {
        if (int err = ub_ctx_config(ctx.get(), config.unbound_config.c_str()))
            return config_error("ub_ctx_config", config.unbound_config.string() + ": " + ub_strerror(err));
    }
    if (config.forwarders.empty()) {
        if (int err = ub_ctx_resolvconf(ctx.get(), config.resolv_conf.c_str()))
            return config_error("ub_ctx_resolvconf", config.resolv_conf.string() + ": " + ub_strerror(err) +
                                                         " (set [dns] forwarders)");
    }
    for (const auto& f : config.forwarders) {
        if (int err = ub_ctx_set_fwd(ctx.get(), f.c_str()))
            return config_error("ub_ctx_set_fwd", f + ": " + ub_strerror(err));
    }
    bool validating = false;
    if (!config.trust_anchor.empty()) {
        // libunbound reads the file only at the first query; a missing one must fail here, at start.
        if (!std::ifstream(config.trust_anchor))
            return config_error("trust_anchor", config.trust_anchor.string() +
                                                    ": cannot read the DNSSEC trust anchor (package dns-root-data)");
        if (int err = ub_ctx_add_ta_file(ctx.get(), config.trust_anchor.c_str()))
            return config_error("ub_ctx_add_ta_file", config.trust_anchor.string() + ": " + ub_strerror(err));
        validating = true;
    }
    if (int err = ub_ctx_async(ctx.get(), 1)) return config_error("ub_ctx_async", ub_strerror(err));
    int fd = ub_fd(ctx.get());
    if (fd < 0) return Error{Error::Kind::temporary, "ub_fd", "no result descriptor", ErrorCode::internal};

    std::shared_ptr<Resolver> resolver(new Resolver(executor));  // the constructor is private
    resolver->context_ = std::make_unique<Context>(std::move(ctx), resolver->strand_);
    boost::system::error_code ec;
    resolver->context_->fd.assign(fd, ec);
    if (ec) return Error{Error::Kind::temporary, "ub_fd", ec.message(), ErrorCode::io};
    resolver->validating_ = validating;
    asio::dispatch(resolver->strand_, [self = resolver] { self->watch(); });
    return resolver;
}

void Resolver::watch() {
    context_->fd.async_wait(asio::posix::descriptor_base::wait_read,
                            asio::bind_executor(strand_, [self = shared_from_this()](boost::system::error_code ec) {
                                if (ec || self->context_->stopped) return;
                                // Runs on_result for every answer that arrived; an error here (the pipe
                                // to libunbound's thread broke) leaves the pending queries to time out.
                                ub_process(self->context_->ctx.get());
                                self->watch();
                            }));
}

void Resolver::on_result(void* data, int err, ub_result* raw) {
    std::unique_ptr<ub_result, UbResultFree> result(raw);
    auto* p = static_cast<Pending*>(data);
    if (err) {
        p->answer.status = DnsStatus::resolver_error;
        p->answer.detail = ub_strerror(err);
    } else if (result) {
        fill_answer(*result, p->answer);
    }
    p->done = true;
    p->timer.cancel();
    if (p->context) p->context->pending.erase(p->id);  // last: it may release *p
}

asio::awaitable<DnsAnswer> Resolver::query(std::string name, DnsType type, std::chrono::milliseconds timeout) {
    co_return co_await asio::co_spawn(strand_, run_query(std::move(name), type, timeout), asio::use_awaitable);
}

asio::awaitable<DnsAnswer> Resolver::run_query(std::string name, DnsType type, std::chrono::milliseconds timeout) {
    auto p = std::make_shared<Pending>(strand_);
    p->answer.name = host_form(name.c_str());
    p->answer.type = type;
    if (context_->stopped) {
        p->answer.detail = "resolver stopped";
        co_return p->answer;
    }
    int id = 0;
    int err = ub_resolve_async(context_->ctx.get(), name.c_str(), static_cast<int>(type), 1 /* IN */, p.get(),
                               &Resolver::on_result, &id);
    if (err) {
        // A name libunbound cannot even parse came from the destination's records, not from us.
        p->answer.status = err == UB_SYNTAX ? DnsStatus::server_failure : DnsStatus::resolver_error;
        p->answer.detail = err == UB_SYNTAX ? "invalid DNS name" : ub_strerror(err);
        co_return p->answer;
    }
    if (!p->done) {
        p->id = id;
        p->context = context_.get();
        context_->pending[id] = p;
        p->timer.expires_after(timeout);
        boost::system::error_code ec;
        co_await p->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        if (!p->done) {
            ub_cancel(context_->ctx.get(), id);
            context_->pending.erase(id);
            p->answer.status = DnsStatus::timeout;
        }
    }
    co_return p->answer;
}

void Resolver::stop() {
    asio::dispatch(strand_, [self = shared_from_this()] {
        auto& c = *self->context_;
        if (c.stopped) return;
        c.stopped = true;
        boost::system::error_code ec;
        c.fd.cancel(ec);
        auto pending = std::move(c.pending);
        for (auto& [id, p] : pending) {
            ub_cancel(c.ctx.get(), id);
            p->answer.status = DnsStatus::resolver_error;
            p->answer.detail = "resolver stopped";
            p->done = true;
            p->context = nullptr;
            p->timer.cancel();
        }
    });
}

DnsAnswer resolve_blocking(const ResolverConfig& config, const std::string& name, DnsType type,
                           std::chrono::milliseconds timeout, std::string* setup_error) {
    asio::io_context io;
    DnsAnswer answer;
    answer.name = name;
    answer.type = type;
    auto resolver = Resolver::create(io.get_executor(), config);
    if (!resolver) {
        answer.detail = resolver.error().detail;
        if (setup_error) *setup_error = resolver.error().detail;
        return answer;
    }
    auto r = *resolver;
    asio::co_spawn(io, r->query(name, type, timeout), [&](std::exception_ptr e, DnsAnswer a) {
        if (!e) answer = std::move(a);
        else answer.detail = "internal error";
        r->stop();
    });
    io.run();
    return answer;
}

}  // namespace mw::smtp::dns
