#include "smtp/server/users_file.hpp"

#include <crypt.h>
#include <openssl/crypto.h>

#include <fstream>
#include <string.h>

namespace mw::smtp::server {

namespace {

std::string ascii_lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

// crypt_r's working area is about 32 KiB: always on the heap, never on a coroutine's stack.
std::unique_ptr<crypt_data> make_crypt_data() { return std::make_unique<crypt_data>(); }

// crypt_r reports failure with NULL or with a string starting with '*' (libxcrypt's "failure
// token", which can never equal a stored hash).
bool crypt_failed(const char* out) { return out == nullptr || out[0] == '*'; }

// A hash crypt_r can use: it runs it with a throwaway password and checks the scheme is known
// and the setting well formed. "!", "*", "x" or an empty field (locked accounts in /etc/shadow
// style) fail here, so a typo is reported at load rather than found by a user who cannot log in.
bool usable_hash(const std::string& hash, crypt_data& data) {
    if (hash.empty() || hash.find_first_of(" \t") != std::string::npos) return false;
    const char* out = crypt_r("mailwarden-check", hash.c_str(), &data);
    // A complete hash yields an output of its own length; a bare setting ("$6$salt$") or a
    // truncated hash does not, and could never match.
    return !crypt_failed(out) && strlen(out) == hash.size();
}

// A valid yescrypt hash nobody knows the password of, checked against for unknown names so a
// failed login costs the same time whether the name exists or not.
std::string make_dummy_hash(crypt_data& data) {
    char setting[CRYPT_GENSALT_OUTPUT_SIZE];
    if (crypt_gensalt_rn("$y$", 0, nullptr, 0, setting, sizeof setting) != nullptr) {
        const char* out = crypt_r("mailwarden-unknown-user", setting, &data);
        if (!crypt_failed(out)) return out;
    }
    // libcrypt without yescrypt: fall back to sha512-crypt, which every libxcrypt has.
    const char* out = crypt_r("mailwarden-unknown-user", "$6$mailwardendummy$", &data);
    return crypt_failed(out) ? std::string() : std::string(out);
}

Error config_error(const std::filesystem::path& file, std::size_t line, std::string what) {
    std::string where = file.string();
    if (line > 0) where += ":" + std::to_string(line);
    return Error{Error::Kind::config, "users file", where + ": " + what, ErrorCode::config};
}

}  // namespace

Result<UsersFile> UsersFile::load(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return config_error(file, 0, std::string("cannot open: ") + strerror(errno));
    auto data = make_crypt_data();
    UsersFile users;
    std::string line;
    std::size_t number = 0;
    while (std::getline(in, line)) {
        ++number;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        auto first = line.find_first_not_of(" \t");
        if (first == std::string::npos || line[first] == '#') continue;
        auto colon = line.find(':');
        if (colon == std::string::npos) return config_error(file, number, "expected name:hash");
        std::string name = line.substr(0, colon);
        std::string hash = line.substr(colon + 1);
        if (name.empty()) return config_error(file, number, "empty name");
        if (name.find_first_of(" \t") != std::string::npos) return config_error(file, number, "space in name");
        if (!usable_hash(hash, *data))
            return config_error(file, number, "the hash of '" + name + "' is not a crypt hash this system supports");
        std::string key = ascii_lower(name);
        if (users.hashes_.contains(key)) return config_error(file, number, "duplicate name '" + name + "'");
        users.hashes_.emplace(std::move(key), std::make_pair(std::move(name), std::move(hash)));
    }
    if (in.bad()) return config_error(file, 0, "read error");
    users.dummy_hash_ = make_dummy_hash(*data);
    if (users.dummy_hash_.empty()) return config_error(file, 0, "libcrypt supports neither yescrypt nor sha512-crypt");
    return users;
}

bool UsersFile::verify(std::string_view name, std::string_view password) const {
    auto it = hashes_.find(ascii_lower(name));
    bool known = it != hashes_.end();
    const std::string& hash = known ? it->second.second : dummy_hash_;
    if (hash.empty()) return false;  // a default-constructed UsersFile knows nobody
    // crypt_r needs a C string: a password with a NUL would be cut short there, so refuse it.
    std::string secret(password);
    bool has_nul = secret.find('\0') != std::string::npos;
    auto data = make_crypt_data();
    const char* out = crypt_r(secret.c_str(), hash.c_str(), data.get());
    OPENSSL_cleanse(secret.data(), secret.size());
    bool match = !crypt_failed(out) && strlen(out) == hash.size() &&
                 CRYPTO_memcmp(out, hash.data(), hash.size()) == 0;
    OPENSSL_cleanse(data.get(), sizeof(crypt_data));  // it held the password's derived state
    return known && match && !has_nul;
}

std::optional<std::string> UsersFile::canonical_name(std::string_view name) const {
    auto it = hashes_.find(ascii_lower(name));
    if (it == hashes_.end()) return std::nullopt;
    return it->second.first;
}

}  // namespace mw::smtp::server
