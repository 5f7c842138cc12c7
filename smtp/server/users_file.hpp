// The SMTP AUTH users file (README "Standalone mode": `name:crypt-hash` lines, `[smtp] users_file`). Passwords are
// checked with libcrypt's crypt_r, so every scheme libcrypt knows works (yescrypt from
// `mkpasswd -m yescrypt`, sha512-crypt, bcrypt). Names compare case-insensitively. Blank lines and
// lines starting with '#' are ignored. A password is never logged, never kept after the check.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/result.hpp"

namespace mw::smtp::server {

class UsersFile {
public:
    // Errors (kind config) name "FILE:LINE: what" for a malformed line (no ':' , empty name, a hash
    // crypt cannot use); a missing file is an error too.
    static Result<UsersFile> load(const std::filesystem::path& file);
    UsersFile() = default;

    // True when `name` exists and `password` matches its hash. An unknown name still costs one
    // crypt_r run against a dummy hash, so timing does not tell which names exist.
    bool verify(std::string_view name, std::string_view password) const;
    // The name as written in the file, for a login given in any case (nullopt: unknown).
    std::optional<std::string> canonical_name(std::string_view name) const;
    std::size_t size() const { return hashes_.size(); }

private:
    std::unordered_map<std::string, std::pair<std::string, std::string>> hashes_;  // lower -> (name, hash)
    std::string dummy_hash_;  // checked for unknown names (made at load)
};

}  // namespace mw::smtp::server
