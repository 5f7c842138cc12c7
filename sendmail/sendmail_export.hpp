// `mailwarden export sendmail`: the sendmail.mc fragment that attaches Sendmail to mailwarden for the
// current rules (README "mailwarden serve"; README "Attaching mailwarden to Sendmail"). Rules and daemon
// configuration in, text out; the one thing it reads is the directory of [domain_security] ca_file
// (see export_sendmail), as the Postfix export reads password files.
#pragma once

#include <string>

#include "core/daemon_config.hpp"
#include "core/export_error.hpp"
#include "policy/ruleset.hpp"

namespace mw::sendmail {

// An m4 fragment for sendmail.mc, to paste after every other define and include (Debian's
// starttls.m4 among them) and before MAILER_DEFINITIONS and the MAILER lines: no include(cf.m4),
// OSTYPE or MAILER. Every block carries dnl notes saying why; lines for other files
// (/etc/mail/access, /etc/mail/mailertable) are dnl notes too. ca_file is used as the loader
// resolved it, made absolute against the working directory when relative; its directory becomes
// confCACERT_PATH, and an m4wrap guard stops m4 if a later line redefines either. Never a
// relay-opening FEATURE, nor RELAY_DOMAIN (class R also lets clients named under a domain relay).
// Throws ExportError where the rules cannot be expressed (a daemon_name Sendmail cannot carry, a
// path m4 or sendmail.cf would read differently) or would weaken domain security: a ca_file in a
// system CA directory (/etc/ssl/certs ...; decided by the lexically normal path before any I/O),
// or whose directory holds a hashed CA link (an entry named like 1a2b3c4d.0 or 1a2b3c4d.r0, which
// Sendmail would trust as well) or cannot be read. Listing and resolving that directory is its
// only I/O.
std::string export_sendmail(const policy::Ruleset& rules, const DaemonConfig& config);

// The milter socket as Sendmail's INPUT_MAIL_FILTER S= names it: "unix:/path", "inet:PORT@HOST",
// "inet6:PORT@HOST".
std::string sendmail_milter_socket(const ListenAddress& address);

// "a {b} c" (smfi_setsymlist's form) -> "a, {b}, c" (confMILTER_MACROS_*'s form).
std::string sendmail_macro_list(std::string_view space_separated);

}  // namespace mw::sendmail
