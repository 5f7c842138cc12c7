// `mailwarden export postfix`: the Postfix settings that attach Postfix to mailwarden for the current
// rules (README "mailwarden serve", send_connector comments; README "Attaching mailwarden to Postfix"). Pure: rules
// and daemon configuration in, text out; the only I/O is reading smart-host password files, whose
// contents must end up in Postfix's own password map (never in the socketmap).
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "core/daemon_config.hpp"
#include "core/export_error.hpp"
#include "policy/ip.hpp"
#include "policy/ruleset.hpp"

namespace mw::postfix {

// Where Postfix looks for the things the export names.
struct PostfixExportOptions {
    // Postfix's queue_directory: Debian chroots smtpd, smtp and trivial-rewrite there, so the
    // MTA-facing sockets must live under it and are named relative to it.
    std::filesystem::path queue_directory = "/var/spool/postfix";
    std::filesystem::path sasl_password_map = "/etc/postfix/mailwarden_sasl_passwd";
};

// The full export: an introduction, then "# --- main.cf ---", "# --- master.cf ---" and, when a send
// connector authenticates to its smart host, "# --- <sasl_password_map> ---". File names in the
// rules (ca_file, password_file) are used as the loader resolved them against the rules directory;
// relative ones (rules loaded from a relative directory) are made absolute against the working
// directory, since Postfix reads them from elsewhere. Throws ExportError.
std::string export_postfix(const policy::Ruleset& rules, const DaemonConfig& config,
                           const PostfixExportOptions& options = {});

// How Postfix's chrooted services name a listener: "unix:mailwarden/milter.sock" for a socket under
// the queue directory, "inet:127.0.0.1:8891" / "inet:[::1]:8891" for TCP. A unix socket elsewhere
// keeps its absolute path and gets `outside_queue_directory`.
struct PostfixListener {
    std::string name;
    bool outside_queue_directory = false;
};
PostfixListener postfix_listener(const ListenAddress& address, const std::filesystem::path& queue_directory);

// master.cf service name for a receive connector's binding: "smtp" for any address on port 25,
// "2525" for any address on another port, "127.0.0.1:2525", "[::1]:2525".
std::string master_service_name(const Endpoint& bind);

}  // namespace mw::postfix
