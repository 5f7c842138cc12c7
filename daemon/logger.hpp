// The daemon's log: one line per event, in Postfix's maillog format ("Mon DD HH:MM:SS host
// mailwarden[pid]: text"), to stderr, syslog (facility mail) or a file, as `[log] target` says.
// Thread-safe; lines are written whole.
#pragma once

#include <string>
#include <string_view>

namespace mw::daemon {

enum class LogLevel { info, warning, error };

// Opens the target: "stderr", "syslog" or a file path (appended to). Throws std::runtime_error
// when the file cannot be opened.
void log_open(const std::string& target);
void log(LogLevel level, std::string_view text);
inline void log_info(std::string_view text) { log(LogLevel::info, text); }
// Postfix prefixes warnings and errors with "warning: " / "error: "; so do we.
inline void log_warning(std::string_view text) { log(LogLevel::warning, text); }
inline void log_error(std::string_view text) { log(LogLevel::error, text); }

}  // namespace mw::daemon
