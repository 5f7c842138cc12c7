// A send connector's `etrn` table (README "ETRN"): the server we ask for our mail, the domains we
// ask for, and how often.
#include "policy/loader_tables.hpp"

namespace mw::policy::loader {

namespace {

// Asking more often than this only loads the other side: a held queue is not a mailbox to poll.
constexpr std::uint32_t min_every_s = 60;

bool is_ip_literal(const SmartHost& h) { return parse_ip(h.host).has_value(); }

}  // namespace

EtrnRequest as_etrn_request(Context& ctx, const toml::node& node) {
    const toml::table& t = as_table(node, "etrn");
    TableReader r(ctx, t, "'etrn' of [[send_connector]]", {"server", "domains", "every"});
    EtrnRequest e;
    ctx.attempt([&] {
        const toml::node& n = r.require("server");
        std::string s = as_string(n, "server");
        auto h = parse_smart_host(s);
        // The request goes out from a timer, with no recipient domain to resolve: a literal address
        // keeps it from waiting for DNS, as LMTP addresses do.
        if (!h || !h->bracketed || !is_ip_literal(*h))
            fail(n, "invalid etrn server '" + s + "': expected an address in brackets, \"[192.0.2.1]:25\" or "
                    "\"[2001:db8::1]:25\" (no name is looked up)");
        e.server = *h;
    });
    ctx.attempt([&] {
        const toml::node& n = r.require("domains");
        const toml::array& a = as_array(n, "domains");
        if (a.empty()) fail(n, "'domains' must not be empty: ETRN asks for the mail of a domain");
        for (const toml::node& d : a) {
            ctx.attempt([&] {
                std::string domain = as_domain(d, Name("domains", true));
                for (const auto& known : e.domains)
                    if (known == domain) fail(d, "duplicate domain '" + domain + "' in 'domains'");
                e.domains.push_back(std::move(domain));
            });
        }
    });
    r.with("every", [&](const toml::node& n) {
        e.every_s = as_duration(n, "every");
        if (e.every_s != 0 && e.every_s < min_every_s) fail(n, "'every' must be at least 1m (or \"0s\": no schedule)");
    });
    return e;
}

}  // namespace mw::policy::loader
