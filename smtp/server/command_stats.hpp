// What a session's client did, command by command, for the line Postfix's smtpd logs when a session
// ends and admins grep for:
//   disconnect from unknown[192.0.2.10] ehlo=1 mail=1 rcpt=1/2 data=1 quit=1 commands=5/6
// Per command that was given: its successes, or successes/attempts when some failed, in Postfix's
// order and under Postfix's names (a line naming no command we know, and EXPN, which neither Postfix
// nor we implement, count as "unknown"); then the same over all commands.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "smtp/server/command_parser.hpp"

namespace mw::smtp::server {

class CommandStats {
public:
    // One more attempt of `verb`; nullopt: a line that names no command we know.
    void attempted(std::optional<Verb> verb);
    // The last attempt of `verb` succeeded: its final reply was 2xx.
    void succeeded(std::optional<Verb> verb);
    // " ehlo=1 mail=1 rcpt=1/2 data=1 quit=1 commands=5/6", with its leading space;
    // " commands=0" for a session that gave no command.
    std::string format() const;

private:
    struct Count {
        std::uint32_t ok = 0;
        std::uint32_t total = 0;
    };
    static constexpr std::size_t slots = 15;
    static std::size_t slot(std::optional<Verb> verb);
    std::array<Count, slots> counts_{};
};

}  // namespace mw::smtp::server
