#include "smtp/server/command_stats.hpp"

#include <string_view>

namespace mw::smtp::server {

namespace {

// Postfix's smtpd_cmd_table order (HELP, which Postfix lacks, after ETRN); the last slot is "unknown".
constexpr std::array<std::string_view, 15> names{"helo", "ehlo", "starttls", "auth", "mail", "rcpt", "data", "bdat",
                                                 "rset", "noop", "vrfy", "etrn", "help", "quit", "unknown"};

}  // namespace

std::size_t CommandStats::slot(std::optional<Verb> verb) {
    if (!verb) return slots - 1;
    switch (*verb) {
        case Verb::helo: return 0;
        case Verb::ehlo: return 1;
        case Verb::starttls: return 2;
        case Verb::auth: return 3;
        case Verb::mail: return 4;
        case Verb::rcpt: return 5;
        case Verb::data: return 6;
        case Verb::bdat: return 7;
        case Verb::rset: return 8;
        case Verb::noop: return 9;
        case Verb::vrfy: return 10;
        case Verb::etrn: return 11;
        case Verb::help: return 12;
        case Verb::quit: return 13;
        case Verb::expn: break;
    }
    return slots - 1;
}

void CommandStats::attempted(std::optional<Verb> verb) { ++counts_[slot(verb)].total; }

void CommandStats::succeeded(std::optional<Verb> verb) {
    Count& c = counts_[slot(verb)];
    if (c.ok < c.total) ++c.ok;
}

std::string CommandStats::format() const {
    static_assert(names.size() == slots);
    std::string out;
    std::uint64_t ok = 0, total = 0;
    auto counted = [&out](std::uint64_t good, std::uint64_t all) {
        out += std::to_string(good);
        if (good != all) out += "/" + std::to_string(all);
    };
    for (std::size_t i = 0; i < slots; ++i) {
        const Count& c = counts_[i];
        if (c.total == 0) continue;
        out += " ";
        out += names[i];
        out += "=";
        counted(c.ok, c.total);
        ok += c.ok;
        total += c.total;
    }
    out += " commands=";
    counted(ok, total);
    return out;
}

}  // namespace mw::smtp::server
