#define BOOST_TEST_MODULE smtp delivery maildir writer
#include <boost/test/unit_test.hpp>

#include <sys/stat.h>

#include <set>

#include "delivery_test_support.hpp"
#include "smtp/delivery/maildir_writer.hpp"

using mw::smtp::delivery::DeliveryOutcome;
using mw::smtp::delivery::maildir_content;
using mw::smtp::delivery::maildir_hostname;
using mw::smtp::delivery::MaildirWriter;
namespace dt = mw::delivery_test;
namespace fs = std::filesystem;

namespace {

const std::string message = "Subject: hi\r\nFrom: <alice@example.net>\r\n\r\nline one\r\n.dot line\r\n";

std::string tmpl(const dt::TempDir& dir) { return (dir.path() / "mail").string() + "/{domain}/{user}/"; }

mode_t mode_of(const fs::path& p) {
    struct stat st {};
    ::lstat(p.c_str(), &st);
    return st.st_mode & 07777;
}

}  // namespace

BOOST_AUTO_TEST_CASE(content_has_delivery_headers_and_lf_endings) {
    BOOST_TEST(maildir_content("alice@example.net", "bob@example.com", "A: b\r\n\r\nx\r\n") ==
               "Return-Path: <alice@example.net>\nDelivered-To: bob@example.com\nA: b\n\nx\n");
    BOOST_TEST(maildir_content("", "bob@example.com", "A: b\r\n").starts_with("Return-Path: <>\n"));
}

BOOST_AUTO_TEST_CASE(hostname_escapes_slash_and_colon) {
    BOOST_TEST(maildir_hostname("mx.example.com") == "mx.example.com");
    BOOST_TEST(maildir_hostname("a/b:c") == "a\\057b\\072c");
}

BOOST_AUTO_TEST_CASE(delivery_creates_the_maildir_and_writes_to_new) {
    dt::TempDir dir("maildir");
    fs::create_directories(dir.path() / "mail");
    MaildirWriter writer(tmpl(dir), "mx:1/x");
    auto out = writer.deliver("alice@example.net", "bob@example.com", "example.com", "bob", message);
    BOOST_TEST_REQUIRE((out.kind == DeliveryOutcome::Kind::ok), out.reply() << " " << out.detail);
    BOOST_TEST(out.reply() == "250 2.0.0 delivered to maildir");

    const fs::path md = dir.path() / "mail" / "example.com" / "bob";
    BOOST_TEST(writer.maildir_path("example.com", "bob") == md.string());
    for (const char* sub : {"", "tmp", "new", "cur"}) {
        BOOST_TEST(fs::is_directory(md / sub), sub);
        BOOST_TEST(mode_of(md / sub) == 0700u, sub);
    }
    BOOST_TEST(mode_of(dir.path() / "mail" / "example.com") == 0700u);
    BOOST_TEST(dt::files_in(md / "tmp").empty());
    BOOST_TEST(dt::files_in(md / "cur").empty());
    auto files = dt::files_in(md / "new");
    BOOST_TEST_REQUIRE(files.size() == 1u);
    const std::string content = dt::read_file(files[0]);
    BOOST_TEST(content ==
               "Return-Path: <alice@example.net>\nDelivered-To: bob@example.com\n"
               "Subject: hi\nFrom: <alice@example.net>\n\nline one\n.dot line\n");
    BOOST_TEST(content.find('\r') == std::string::npos);
    BOOST_TEST(mode_of(files[0]) == 0600u);

    // <seconds>.M<usec>P<pid>Q<n>.<escaped host>,S=<size>
    const std::string name = files[0].filename().string();
    BOOST_TEST(name.find(".M") != std::string::npos);
    BOOST_TEST(name.find("P" + std::to_string(::getpid()) + "Q") != std::string::npos);
    BOOST_TEST(name.ends_with(".mx\\0721\\057x,S=" + std::to_string(content.size())), name);
    BOOST_TEST(out.detail == "new/" + name);
}

BOOST_AUTO_TEST_CASE(names_are_unique) {
    dt::TempDir dir("maildir");
    fs::create_directories(dir.path() / "mail");
    MaildirWriter writer(tmpl(dir), "mx.example.com");
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < 25; ++i) {
                auto out = writer.deliver("a@example.net", "bob@example.com", "example.com", "bob", message);
                BOOST_CHECK(out.kind == DeliveryOutcome::Kind::ok);
            }
        });
    for (auto& t : threads) t.join();
    auto files = dt::files_in(dir.path() / "mail" / "example.com" / "bob" / "new");
    std::set<std::string> names;
    for (const auto& f : files) names.insert(f.filename().string());
    BOOST_TEST(files.size() == 100u);
    BOOST_TEST(names.size() == 100u);
}

BOOST_AUTO_TEST_CASE(a_symlink_at_the_user_directory_is_refused) {
    dt::TempDir dir("maildir");
    fs::create_directories(dir.path() / "mail" / "example.com");
    fs::create_directories(dir.path() / "elsewhere");
    fs::create_directory_symlink(dir.path() / "elsewhere", dir.path() / "mail" / "example.com" / "bob");
    MaildirWriter writer(tmpl(dir), "mx.example.com");
    auto out = writer.deliver("alice@example.net", "bob@example.com", "example.com", "bob", message);
    BOOST_TEST((out.kind == DeliveryOutcome::Kind::permanent));
    BOOST_TEST(out.reply() == "550 5.2.0 mailbox unavailable");
    BOOST_TEST(out.detail.find("symlink") != std::string::npos);
    BOOST_TEST(dt::files_in(dir.path() / "elsewhere").empty());  // no tmp/new/cur, no message
}

BOOST_AUTO_TEST_CASE(a_symlink_at_the_domain_directory_is_refused) {
    dt::TempDir dir("maildir");
    fs::create_directories(dir.path() / "mail");
    fs::create_directories(dir.path() / "elsewhere");
    fs::create_directory_symlink(dir.path() / "elsewhere", dir.path() / "mail" / "example.com");
    MaildirWriter writer(tmpl(dir), "mx.example.com");
    auto out = writer.deliver("alice@example.net", "bob@example.com", "example.com", "bob", message);
    BOOST_TEST((out.kind == DeliveryOutcome::Kind::permanent));
    BOOST_TEST(dt::files_in(dir.path() / "elsewhere").empty());
}

BOOST_AUTO_TEST_CASE(a_symlink_at_new_is_refused) {
    dt::TempDir dir("maildir");
    const fs::path md = dir.path() / "mail" / "example.com" / "bob";
    fs::create_directories(md / "tmp");
    fs::create_directories(dir.path() / "elsewhere");
    fs::create_directory_symlink(dir.path() / "elsewhere", md / "new");
    MaildirWriter writer(tmpl(dir), "mx.example.com");
    auto out = writer.deliver("alice@example.net", "bob@example.com", "example.com", "bob", message);
    BOOST_TEST((out.kind == DeliveryOutcome::Kind::permanent));
    BOOST_TEST(dt::files_in(dir.path() / "elsewhere").empty());
    BOOST_TEST(dt::files_in(md / "tmp").empty());
}

BOOST_AUTO_TEST_CASE(a_file_in_place_of_a_directory_is_refused) {
    dt::TempDir dir("maildir");
    dir.write("mail/example.com/bob", "not a directory");
    MaildirWriter writer(tmpl(dir), "mx.example.com");
    auto out = writer.deliver("alice@example.net", "bob@example.com", "example.com", "bob", message);
    BOOST_TEST((out.kind == DeliveryOutcome::Kind::permanent));
}

BOOST_AUTO_TEST_CASE(a_missing_prefix_is_a_temporary_configuration_error) {
    dt::TempDir dir("maildir");
    MaildirWriter writer(tmpl(dir), "mx.example.com");  // dir/mail does not exist
    auto out = writer.deliver("alice@example.net", "bob@example.com", "example.com", "bob", message);
    BOOST_TEST((out.kind == DeliveryOutcome::Kind::temporary));
    BOOST_TEST(out.smtp_reply.status == "4.3.5");
    BOOST_TEST(!fs::exists(dir.path() / "mail"));
}

BOOST_AUTO_TEST_CASE(substitutions_that_would_leave_the_tree_are_refused) {
    dt::TempDir dir("maildir");
    fs::create_directories(dir.path() / "mail");
    MaildirWriter writer(tmpl(dir), "mx.example.com");
    for (const char* user : {"..", ".", "", "a/b"}) {
        auto out = writer.deliver("a@example.net", "x@example.com", "example.com", user, message);
        BOOST_TEST((out.kind == DeliveryOutcome::Kind::permanent), user);
    }
    BOOST_TEST(dt::files_in(dir.path() / "mail").empty());
}

BOOST_AUTO_TEST_CASE(a_prefix_may_itself_be_a_symlink) {
    // The fixed prefix is the administrator's (e.g. /var/mail -> /srv/mail): it is followed.
    dt::TempDir dir("maildir");
    fs::create_directories(dir.path() / "real");
    fs::create_directory_symlink(dir.path() / "real", dir.path() / "mail");
    MaildirWriter writer(tmpl(dir), "mx.example.com");
    auto out = writer.deliver("a@example.net", "bob@example.com", "example.com", "bob", message);
    BOOST_TEST((out.kind == DeliveryOutcome::Kind::ok));
    BOOST_TEST(dt::files_in(dir.path() / "real" / "example.com" / "bob" / "new").size() == 1u);
}
