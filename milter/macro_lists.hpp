// The milter macros mailwarden asks for at each stage, in one place: the milter requests them with
// smfi_setsymlist (Postfix honours that), and `export sendmail` writes the same lists as
// confMILTER_MACROS_* (Sendmail sends only what its configuration lists). One source, so the two can
// never drift apart. Space-separated, as smfi_setsymlist takes them.
#pragma once

namespace mw::milter::macro_lists {

// `v` is how mailwarden tells Postfix from Sendmail (Sendmail's default connect list lacks it);
// {daemon_name} picks the receive connector, {daemon_addr}/{daemon_port} when no name matches.
inline constexpr char connect[] =
    "j v _ {daemon_name} {daemon_addr} {daemon_port} {client_addr} {client_port} {client_name}";
// TLS facts: Sendmail hands them over with the second HELO (after STARTTLS).
inline constexpr char helo[] = "{tls_version} {cipher} {cipher_bits} {cert_subject} {cert_issuer} {verify} {cert_fp}";
inline constexpr char envfrom[] =
    "i {auth_type} {auth_authen} {mail_addr} {tls_version} {cipher} {cipher_bits} {cert_subject} {cert_issuer} "
    "{verify} {cert_fp}";
inline constexpr char envrcpt[] = "i {rcpt_addr}";
inline constexpr char eoh[] = "i";
inline constexpr char eom[] = "i";

// Each list with the suffix of Sendmail's confMILTER_MACROS_* option that carries it.
struct Stage {
    const char* sendmail_suffix;  // "CONNECT" -> confMILTER_MACROS_CONNECT
    const char* macros;
};
inline constexpr Stage stages[] = {
    {"CONNECT", connect}, {"HELO", helo}, {"ENVFROM", envfrom}, {"ENVRCPT", envrcpt}, {"EOH", eoh}, {"EOM", eom},
};

}  // namespace mw::milter::macro_lists
