#define BOOST_TEST_MODULE smtp users file
#include <boost/test/unit_test.hpp>

#include <crypt.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <memory>

#include "smtp/server/users_file.hpp"

using mw::smtp::server::UsersFile;
namespace fs = std::filesystem;

namespace {

// A crypt hash of `password` in the scheme `prefix` ("$y$", "$6$"), made now with a fresh salt.
std::string make_hash(const char* prefix, const std::string& password) {
    char setting[CRYPT_GENSALT_OUTPUT_SIZE];
    BOOST_REQUIRE(crypt_gensalt_rn(prefix, 0, nullptr, 0, setting, sizeof setting) != nullptr);
    auto data = std::make_unique<crypt_data>();
    const char* out = crypt_r(password.c_str(), setting, data.get());
    BOOST_REQUIRE(out != nullptr);
    BOOST_REQUIRE(out[0] != '*');
    return out;
}

struct TempFile {
    fs::path path;
    explicit TempFile(const std::string& content) {
        const char* tmp = std::getenv("TMPDIR");
        fs::path dir = tmp && *tmp ? tmp : fs::temp_directory_path();
        static int counter = 0;
        path = dir / ("users_file_test." + std::to_string(::getpid()) + "." + std::to_string(++counter));
        std::ofstream(path, std::ios::binary) << content;
    }
    ~TempFile() {
        std::error_code ec;
        fs::remove(path, ec);
    }
};

std::string error_of(const std::string& content) {
    TempFile file(content);
    auto users = UsersFile::load(file.path);
    BOOST_REQUIRE(!users.ok());
    BOOST_TEST((users.error().kind == mw::Error::Kind::config));
    return users.error().detail;
}

}  // namespace

BOOST_AUTO_TEST_CASE(yescrypt_and_sha512_logins) {
    TempFile file("# users\n\nalice:" + make_hash("$y$", "wonderland") + "\n" +
                  "Bob@Example.com:" + make_hash("$6$", "builder") + "\r\n");
    auto users = UsersFile::load(file.path);
    BOOST_REQUIRE(users.ok());
    BOOST_TEST(users->size() == 2u);
    BOOST_TEST(users->verify("alice", "wonderland"));
    BOOST_TEST(users->verify("ALICE", "wonderland"));
    BOOST_TEST(!users->verify("alice", "Wonderland"));
    BOOST_TEST(!users->verify("alice", ""));
    BOOST_TEST(!users->verify("alice", std::string("wonderland\0x", 12)));
    BOOST_TEST(users->verify("bob@example.com", "builder"));
    BOOST_TEST(!users->verify("bob@example.com", "wonderland"));
    BOOST_TEST(!users->verify("carol", "wonderland"));
    BOOST_TEST(!users->verify("", ""));
    BOOST_TEST(*users->canonical_name("BOB@example.COM") == "Bob@Example.com");
    BOOST_TEST(!users->canonical_name("carol"));
}

BOOST_AUTO_TEST_CASE(a_hash_someone_pasted_twice_is_not_a_prefix_match) {
    std::string hash = make_hash("$6$", "pw");
    TempFile file("u:" + hash + "\n");
    auto users = UsersFile::load(file.path);
    BOOST_REQUIRE(users.ok());
    BOOST_TEST(users->verify("u", "pw"));
    BOOST_TEST(!users->verify("u", hash));
}

BOOST_AUTO_TEST_CASE(malformed_files) {
    std::string good = make_hash("$6$", "pw");
    std::string detail = error_of("alice:" + good + "\nbob " + good + "\n");
    BOOST_TEST(detail.find(":2: ") != std::string::npos, detail);
    BOOST_TEST(error_of(":" + good + "\n").find(":1: empty name") != std::string::npos);
    BOOST_TEST(error_of("alice:\n").find(":1: ") != std::string::npos);
    BOOST_TEST(error_of("alice:!\n").find(":1: ") != std::string::npos);
    BOOST_TEST(error_of("alice:*\n").find(":1: ") != std::string::npos);
    BOOST_TEST(error_of("alice:$6$salt$\n").find(":1: ") != std::string::npos);
    BOOST_TEST(error_of("alice:$6$salt$abc\n").find(":1: ") != std::string::npos);
    BOOST_TEST(error_of("alice:$9$nonsense\n").find(":1: ") != std::string::npos);
    BOOST_TEST(error_of("alice:" + good + "\nALICE:" + good + "\n").find(":2: duplicate") != std::string::npos);
    // The password itself is never in an error.
    BOOST_TEST(error_of("alice:hunter2-plaintext\n").find("hunter2") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(missing_file) {
    auto users = UsersFile::load("/nonexistent/mailwarden/users");
    BOOST_REQUIRE(!users.ok());
    BOOST_TEST(users.error().detail.find("/nonexistent/mailwarden/users") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(empty_users_file_knows_nobody) {
    TempFile file("# nobody yet\n");
    auto users = UsersFile::load(file.path);
    BOOST_REQUIRE(users.ok());
    BOOST_TEST(users->size() == 0u);
    BOOST_TEST(!users->verify("alice", "x"));
    BOOST_TEST(!UsersFile().verify("alice", "x"));
}
