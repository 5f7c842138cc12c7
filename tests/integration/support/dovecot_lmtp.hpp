// A private Dovecot with only its LMTP service, as standalone mailwarden's delivery target: its
// socket, state, log and Maildirs under the test's directory. Users come from a passwd-file
// (USER@example.com); anyone else gets 550 5.1.1 from Dovecot.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "support/process.hpp"

namespace mw::itest {

class DovecotLmtp {
public:
    DovecotLmtp(std::filesystem::path dir, const std::vector<std::string>& users);
    ~DovecotLmtp();
    DovecotLmtp(const DovecotLmtp&) = delete;
    DovecotLmtp& operator=(const DovecotLmtp&) = delete;

    std::filesystem::path socket() const { return dir_ / "run" / "lmtp"; }
    // Messages in USER@example.com's Maildir (new/), contents.
    std::vector<std::string> mailbox(const std::string& user) const;
    std::string log() const;

private:
    std::filesystem::path dir_;
    std::optional<Process> process_;
};

}  // namespace mw::itest
