// A private Dovecot used only as Postfix's SASL server (smtpd_sasl_type = dovecot): no IMAP, POP3 or
// LMTP listener, no TLS (Postfix does TLS), only an auth socket in the Postfix queue directory.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "support/process.hpp"

namespace mw::itest {

struct SaslUser {
    std::string name;  // what the client gives to AUTH
    std::string password;
};

// kid1@example.com / kid1-password, teacher@example.com / teacher-password.
std::vector<SaslUser> default_sasl_users();

class DovecotSasl {
public:
    // auth_socket: where Postfix expects it, PostfixInstance::sasl_socket() (QUEUE/private/auth);
    // created owned by postfix, mode 0660. Waits until the socket accepts connections.
    DovecotSasl(std::filesystem::path dir, std::filesystem::path auth_socket,
                std::vector<SaslUser> users = default_sasl_users());

    const std::vector<SaslUser>& users() const { return users_; }
    const std::filesystem::path& auth_socket() const { return auth_socket_; }
    std::string log() const;

private:
    std::filesystem::path dir_, auth_socket_;
    std::vector<SaslUser> users_;
    Process process_;
};

}  // namespace mw::itest
