#include "support/dns_rig.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <stdexcept>

#include "support/net.hpp"

namespace mw::itest {

namespace fs = std::filesystem;

namespace {

std::size_t depth(const std::string& origin) {
    return origin == "." ? 0 : static_cast<std::size_t>(std::count(origin.begin(), origin.end(), '.'));
}

// The closest enclosing zone of `origin` among `zones` ("." encloses everything).
std::string parent_of(const std::string& origin, const std::vector<DnsZone>& zones) {
    std::string best = ".";
    for (const auto& z : zones) {
        if (z.origin == origin || z.origin == ".") continue;
        bool below = origin.size() > z.origin.size() &&
                     origin.compare(origin.size() - z.origin.size(), z.origin.size(), z.origin) == 0 &&
                     origin[origin.size() - z.origin.size() - 1] == '.';
        if (below && depth(z.origin) > depth(best)) best = z.origin;
    }
    return best;
}

std::string run_ok(const std::vector<std::string>& argv, const fs::path& cwd = {}) {
    std::vector<std::string> cmd = argv;
    if (!cwd.empty()) cmd = {"sh", "-c", "cd '" + cwd.string() + "' && exec \"$@\"", "sh"};
    if (!cwd.empty()) cmd.insert(cmd.end(), argv.begin(), argv.end());
    auto r = run_capture(cmd, {}, 60s);
    if (r.status != 0) throw std::runtime_error(argv[0] + " failed: " + r.out + r.err);
    return r.out;
}

std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
}

std::string file_name(const std::string& origin) { return origin == "." ? "root" : origin.substr(0, origin.size() - 1); }

}  // namespace

DnsRig::DnsRig(fs::path dir, std::vector<DnsZone> zones) : dir_(std::move(dir)), nsd_([&] {
    fs::create_directories(dir_);
    port_ = free_port();
    zones.insert(zones.begin(), DnsZone{".", ""});
    // The name server of every zone, inside the root's own namespace so that no delegation needs glue
    // from a zone that is not there.
    struct Keys {
        std::string ksk, zsk, ds;
    };
    std::map<std::string, Keys> keys;
    for (const auto& z : zones) {
        if (z.signing == DnsZone::Signing::unsigned_zone) continue;
        fs::path kdir = dir_ / ("keys-" + file_name(z.origin));
        fs::create_directories(kdir);
        Keys k;
        k.ksk = trim(run_ok({"ldns-keygen", "-a", "ECDSAP256SHA256", "-k", z.origin}, kdir));
        k.zsk = trim(run_ok({"ldns-keygen", "-a", "ECDSAP256SHA256", z.origin}, kdir));
        k.ksk = (kdir / k.ksk).string();
        k.zsk = (kdir / k.zsk).string();
        k.ds = read_file(k.ksk + ".ds");
        keys[z.origin] = k;
    }
    std::string nsd_zones;
    for (const auto& z : zones) {
        std::string text = "$ORIGIN " + z.origin + "\n$TTL 60\n@ SOA ns.rig. hostmaster.rig. 1 3600 600 86400 5\n@ NS ns.rig.\n";
        if (z.origin == ".") text += "rig. NS ns.rig.\nns.rig. A 127.0.0.1\n";
        for (const auto& child : zones) {
            if (child.origin == "." || child.origin == z.origin || parent_of(child.origin, zones) != z.origin) continue;
            text += child.origin + " NS ns.rig.\n";
            if (auto it = keys.find(child.origin); it != keys.end()) text += it->second.ds;
        }
        text += z.records + "\n";
        fs::path plain = dir_ / (file_name(z.origin) + ".zone");
        std::ofstream(plain) << text;
        fs::path served = plain;
        if (auto it = keys.find(z.origin); it != keys.end()) {
            served = dir_ / (file_name(z.origin) + ".signed");
            std::vector<std::string> sign = {"ldns-signzone", "-n", "-t", "0", "-o", z.origin, "-f", served.string()};
            if (z.signing == DnsZone::Signing::expired) {
                // Signatures that expired years ago: a validating resolver must call every answer bogus.
                sign.insert(sign.end(), {"-i", "20200101000000", "-e", "20200201000000"});
            }
            sign.insert(sign.end(), {plain.string(), it->second.ksk, it->second.zsk});
            run_ok(sign);
        }
        nsd_zones += "zone:\n  name: \"" + z.origin + "\"\n  zonefile: \"" + served.string() + "\"\n";
    }
    trust_anchor_ = dir_ / "root.ds";
    std::ofstream(trust_anchor_) << keys.at(".").ds;
    // libunbound answers these itself (empty local zones) unless told not to; only a config file can
    // say so (ub_ctx_set_option takes the whole value as a zone name).
    unbound_config_ = dir_ / "unbound-extra.conf";
    std::ofstream(unbound_config_) << "server:\n  local-zone: \"test.\" nodefault\n"
                                      "  local-zone: \"127.in-addr.arpa.\" nodefault\n"
                                      "  val-bogus-ttl: 5\n  cache-max-negative-ttl: 5\n";
    fs::path conf = dir_ / "nsd.conf";
    std::ofstream(conf) << "server:\n  ip-address: 127.0.0.1@" << port_
                        << "\n  do-ip6: no\n  username: \"\"\n  chroot: \"\"\n  zonesdir: \"" << dir_.string()
                        << "\"\n  pidfile: \"" << (dir_ / "nsd.pid").string() << "\"\n  database: \"\"\n  xfrdfile: \""
                        << (dir_ / "xfrd.state").string() << "\"\n  zonelistfile: \"" << (dir_ / "zone.list").string()
                        << "\"\n  logfile: \"" << (dir_ / "nsd.log").string()
                        << "\"\n  server-count: 1\n  verbosity: 1\n  hide-version: yes\n"
                        << "remote-control:\n  control-enable: no\n"
                        << nsd_zones;
    SpawnOptions o;
    o.argv = {"nsd", "-d", "-c", conf.string()};
    o.stdout_path = dir_ / "nsd.out";
    o.stderr_path = o.stdout_path;
    return o;
}()) {
    if (!wait_port("127.0.0.1", port_, 20s))
        throw std::runtime_error("nsd did not start: " + read_file(dir_ / "nsd.out") + read_file(dir_ / "nsd.log"));
    // NSD listens before every zone is loaded: wait until the root answers with its signature.
    bool ready = wait_for([&] { return dig(".", "SOA").find("status: NOERROR") != std::string::npos; }, 20s, 100ms);
    if (!ready) throw std::runtime_error("nsd serves no root zone: " + read_file(dir_ / "nsd.log"));
}

std::string DnsRig::forwarder() const { return "127.0.0.1:" + std::to_string(port_); }

std::string DnsRig::dns_section() const {
    return "[dns]\nforwarders = [\"" + forwarder() + "\"]\ntrust_anchor = \"" + trust_anchor_.string() +
           "\"\nunbound_config = \"" + unbound_config_.string() + "\"\n";
}

std::string DnsRig::dig(const std::string& name, const std::string& type) const {
    auto r = run_capture({"dig", "+dnssec", "+norecurse", "+time=2", "+tries=1", "@127.0.0.1", "-p",
                          std::to_string(port_), name, type},
                         {}, 20s, true);
    return r.out;
}

}  // namespace mw::itest
