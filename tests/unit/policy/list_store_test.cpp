#define BOOST_TEST_MODULE list_store
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "policy/list_file.hpp"
#include "policy/list_store.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;

namespace mw::list_store_detail {
// Defined in list_store.cpp: compiles the keys as given, unsorted.
Result<std::monostate> compile_keys(const fs::path& target, const ParsedList& list, const std::string& source);
}  // namespace mw::list_store_detail

using mw::ListEntryError;
using mw::ListStore;

namespace {

struct Opened {
    std::shared_ptr<const ListStore> store;
    std::vector<ListEntryError> errors;
};

Opened open_list(const mw::test::TempDir& dir, const std::string& name, std::string_view content) {
    auto source = dir.write("rules/" + name, content);
    Opened o;
    auto r = ListStore::open(source, dir.path() / "state", o.errors);
    BOOST_TEST_REQUIRE(r.ok(), (r.ok() ? "" : r.error().origin + ": " + r.error().detail));
    o.store = *r;
    return o;
}

bool has(const ListStore& store, std::string_view address) {
    auto parsed = mw::parse_address(address);
    BOOST_TEST_REQUIRE(parsed.address.has_value(), address);
    auto r = store.contains(*parsed.address);
    BOOST_TEST_REQUIRE(r.ok(), (r.ok() ? "" : r.error().detail));
    return *r;
}

bool has_domain(const ListStore& store, std::string_view domain) {
    auto r = store.contains_domain(domain);
    BOOST_TEST_REQUIRE(r.ok(), (r.ok() ? "" : r.error().detail));
    return *r;
}

std::vector<fs::path> compiled_files(const mw::test::TempDir& dir) {
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(dir.path() / "state" / "lists")) files.push_back(e.path());
    return files;
}

}  // namespace

BOOST_AUTO_TEST_CASE(missing_file_is_a_config_error) {
    mw::test::TempDir dir("list");
    std::vector<ListEntryError> errors;
    auto r = ListStore::open(dir.path() / "nope.txt", dir.path() / "state", errors);
    BOOST_TEST_REQUIRE(!r.ok());
    BOOST_TEST((r.error().kind == mw::Error::Kind::config));
    BOOST_TEST(r.error().origin == "list");
    BOOST_TEST(r.error().detail ==
               "cannot open list file '" + (dir.path() / "nope.txt").string() + "': No such file or directory");
}

BOOST_AUTO_TEST_CASE(empty_and_comment_only_files) {
    mw::test::TempDir dir("list");
    auto empty = open_list(dir, "empty.txt", "");
    BOOST_TEST(empty.store->size() == 0u);
    BOOST_TEST(empty.errors.empty());
    BOOST_TEST(!has(*empty.store, "a@example.com"));

    auto comments = open_list(dir, "comments.txt", "# students\n\n   # more\n\t\n");
    BOOST_TEST(comments.store->size() == 0u);
    BOOST_TEST(comments.errors.empty());
    BOOST_TEST(!has_domain(*comments.store, "example.com"));
}

BOOST_AUTO_TEST_CASE(entries_are_normalized_like_rule_entries) {
    mw::test::TempDir dir("list");
    auto o = open_list(dir, "users.txt",
                       "Alice@Example.COM   # a teacher\n"
                       "  \"Bob\"@example.com\r\n"
                       "carol@bücher.example.\n"
                       "alice@example.com\n"  // duplicate once normalized
                       "<@relay.example:dave@example.org>\n");
    BOOST_TEST(o.errors.empty());
    BOOST_TEST(o.store->size() == 4u);
    BOOST_TEST(has(*o.store, "alice@example.com"));
    BOOST_TEST(has(*o.store, "ALICE@example.com."));
    BOOST_TEST(has(*o.store, "bob@example.com"));
    BOOST_TEST(has(*o.store, "carol@xn--bcher-kva.example"));
    BOOST_TEST(has(*o.store, "dave@example.org"));
    BOOST_TEST(!has(*o.store, "eve@example.com"));
    BOOST_TEST(!has_domain(*o.store, "example.com"));  // addresses do not list their domain
}

BOOST_AUTO_TEST_CASE(domain_and_subdomain_entries) {
    mw::test::TempDir dir("list");
    auto o = open_list(dir, "domains.txt", "@Students.Example.com\n@*.partner.example\n");
    BOOST_TEST(o.errors.empty());
    BOOST_TEST(o.store->size() == 2u);
    BOOST_TEST(has(*o.store, "x@students.example.com"));
    BOOST_TEST(!has(*o.store, "x@a.students.example.com"));  // @d is the domain only
    BOOST_TEST(!has(*o.store, "x@example.com"));
    BOOST_TEST(has(*o.store, "x@a.partner.example"));
    BOOST_TEST(has(*o.store, "x@b.a.partner.example"));
    BOOST_TEST(!has(*o.store, "x@partner.example"));  // *.d never includes d
    BOOST_TEST(!has(*o.store, "x@xpartner.example"));

    BOOST_TEST(has_domain(*o.store, "students.example.com"));
    BOOST_TEST(has_domain(*o.store, "STUDENTS.example.com."));
    BOOST_TEST(!has_domain(*o.store, "a.students.example.com"));
    BOOST_TEST(has_domain(*o.store, "mail.partner.example"));
    BOOST_TEST(!has_domain(*o.store, "partner.example"));
    BOOST_TEST(!has_domain(*o.store, "not a domain"));
}

BOOST_AUTO_TEST_CASE(null_address_is_never_contained) {
    mw::test::TempDir dir("list");
    auto o = open_list(dir, "nulls.txt", "<>\n@example.com\n");
    BOOST_TEST_REQUIRE(o.errors.size() == 1u);
    BOOST_TEST(o.errors[0].message == "invalid address '<>': the null sender <> cannot be listed");
    mw::Address null_path;
    null_path.null = true;
    auto r = o.store->contains(null_path);
    BOOST_TEST_REQUIRE(r.ok());
    BOOST_TEST(!*r);
}

BOOST_AUTO_TEST_CASE(address_literals_in_lists) {
    mw::test::TempDir dir("list");
    auto o = open_list(dir, "literals.txt", "@[192.0.2.1]\nuser@[IPv6:2001:DB8::1]\n@*.[192.0.2.2]\n");
    BOOST_TEST_REQUIRE(o.errors.size() == 1u);
    BOOST_TEST(o.errors[0].line == 3);
    BOOST_TEST(o.errors[0].message == "invalid domain pattern '@*.[192.0.2.2]': a wildcard needs a domain name");
    BOOST_TEST(has(*o.store, "x@[192.0.2.1]"));
    BOOST_TEST(has(*o.store, "user@[IPv6:2001:db8::1]"));
    BOOST_TEST(!has(*o.store, "x@[IPv6:2001:db8::1]"));
}

BOOST_AUTO_TEST_CASE(bad_entries_are_reported_with_line_and_column) {
    mw::test::TempDir dir("list");
    auto o = open_list(dir, "mixed.txt",
                       "good@example.com\n"
                       "   x@\n"
                       "\n"
                       "@a..b # comment\n"
                       "\tuser name@example.com\n"
                       "@*.\n"
                       "\"unbalanced#@example.com\"\n"
                       "fine@example.com");
    BOOST_TEST_REQUIRE(o.errors.size() == 5u);
    BOOST_TEST(o.errors[0].line == 2);
    BOOST_TEST(o.errors[0].col == 4);
    BOOST_TEST(o.errors[0].message == "invalid address 'x@': missing domain");
    BOOST_TEST(o.errors[1].line == 4);
    BOOST_TEST(o.errors[1].col == 1);
    BOOST_TEST(o.errors[1].message == "invalid domain pattern '@a..b': invalid domain 'a..b'");
    BOOST_TEST(o.errors[2].line == 5);
    BOOST_TEST(o.errors[2].col == 2);
    BOOST_TEST(o.errors[2].message == "invalid address 'user name@example.com': space in local part (it must be quoted)");
    BOOST_TEST(o.errors[3].line == 6);
    BOOST_TEST(o.errors[3].message == "invalid domain pattern '@*.': missing domain");
    // '#' starts a comment anywhere, even inside quotes.
    BOOST_TEST(o.errors[4].line == 7);
    BOOST_TEST(o.errors[4].message == "invalid address '\"unbalanced': unbalanced quote in local part");
    BOOST_TEST(o.store->size() == 2u);  // bad entries are not stored
    BOOST_TEST(has(*o.store, "good@example.com"));
    BOOST_TEST(has(*o.store, "fine@example.com"));
}

BOOST_AUTO_TEST_CASE(errors_are_reported_again_when_the_compiled_list_is_reused) {
    mw::test::TempDir dir("list");
    auto first = open_list(dir, "l.txt", "ok@example.com\nbad@\n");
    auto second = open_list(dir, "l.txt", "ok@example.com\nbad@\n");
    BOOST_TEST(first.store->database() == second.store->database());
    BOOST_TEST_REQUIRE(second.errors.size() == 1u);
    BOOST_TEST(second.errors[0].line == 2);
    BOOST_TEST(second.errors[0].col == 1);
    BOOST_TEST(second.errors[0].message == "invalid address 'bad@': missing domain");
    BOOST_TEST(second.store->size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_flood_of_bad_entries_is_summed_up) {
    mw::test::TempDir dir("list");
    std::string content;
    for (int i = 0; i < 1500; ++i) content += "bad" + std::to_string(i) + "\n";
    auto o = open_list(dir, "flood.txt", content);
    BOOST_TEST_REQUIRE(o.errors.size() == 1001u);
    BOOST_TEST(o.errors[1000].line == 1001);
    BOOST_TEST(o.errors[1000].message == "... and 500 more invalid entries");
}

BOOST_AUTO_TEST_CASE(compiled_file_is_reused_until_the_content_changes) {
    mw::test::TempDir dir("list");
    auto first = open_list(dir, "students.txt", "a@example.com\n");
    fs::path db = first.store->database();
    BOOST_TEST(db.parent_path() == dir.path() / "state" / "lists");
    BOOST_TEST(db.filename().string().starts_with("students."));
    BOOST_TEST(db.extension() == ".mdb");
    BOOST_TEST(first.store->source() == dir.path() / "rules" / "students.txt");
    auto mtime = fs::last_write_time(db);
    auto inode_size = fs::file_size(db);

    // Same content (the source file is rewritten): same database, untouched.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    auto again = open_list(dir, "students.txt", "a@example.com\n");
    BOOST_TEST(again.store->database() == db);
    BOOST_TEST((fs::last_write_time(db) == mtime));
    BOOST_TEST(fs::file_size(db) == inode_size);
    BOOST_TEST(has(*again.store, "a@example.com"));

    // Changed content: a new database; the old one is gone, and the open store still works.
    auto changed = open_list(dir, "students.txt", "b@example.com\n");
    BOOST_TEST(changed.store->database() != db);
    BOOST_TEST(!fs::exists(db));
    BOOST_TEST(has(*changed.store, "b@example.com"));
    BOOST_TEST(!has(*changed.store, "a@example.com"));
    BOOST_TEST(has(*first.store, "a@example.com"));
    auto files = compiled_files(dir);
    BOOST_TEST(files.size() == 1u);  // no temporary or lock files left behind
}

BOOST_AUTO_TEST_CASE(same_stem_in_another_directory_keeps_its_own_database) {
    mw::test::TempDir dir("list");
    auto a = open_list(dir, "a/students.txt", "a@example.com\n");
    auto b = open_list(dir, "b/students.txt", "b@example.com\n");
    BOOST_TEST(fs::exists(a.store->database()));
    BOOST_TEST(fs::exists(b.store->database()));
    auto a2 = open_list(dir, "a/students.txt", "a@example.com\n");
    BOOST_TEST(a2.store->database() == a.store->database());
}

BOOST_AUTO_TEST_CASE(damaged_compiled_file_is_rebuilt) {
    mw::test::TempDir dir("list");
    auto first = open_list(dir, "d.txt", "a@example.com\n");
    fs::path db = first.store->database();
    first.store.reset();
    dir.write("state/lists/" + db.filename().string(), "not an lmdb file");
    auto again = open_list(dir, "d.txt", "a@example.com\n");
    BOOST_TEST(again.store->database() == db);
    BOOST_TEST(has(*again.store, "a@example.com"));
}

BOOST_AUTO_TEST_CASE(a_million_entries) {
    mw::test::TempDir dir("list");
    std::string content;
    content.reserve(40 * 1'000'000);
    for (int i = 0; i < 1'000'000; ++i) {
        content += "student";
        content += std::to_string(i);
        content += i % 2 ? "@Students.Example.com\n" : "@students.example.com\n";
    }
    content += "@*.alumni.example.com\n";
    auto o = open_list(dir, "million.txt", content);
    BOOST_TEST(o.errors.empty());
    BOOST_TEST(o.store->size() == 1'000'001u);
    int found = 0;
    for (int i = 0; i < 1'000'000; i += 997) found += has(*o.store, "student" + std::to_string(i) + "@students.example.com");
    BOOST_TEST(found == 1004);
    BOOST_TEST(has(*o.store, "student999999@students.example.com"));
    BOOST_TEST(has(*o.store, "student0@students.example.com"));
    BOOST_TEST(!has(*o.store, "student1000000@students.example.com"));
    BOOST_TEST(!has(*o.store, "teacher@students.example.com"));
    BOOST_TEST(has(*o.store, "anyone@x.alumni.example.com"));
    BOOST_TEST(!has(*o.store, "anyone@alumni.example.com"));

    // Reopening reuses the compiled file.
    auto again = open_list(dir, "million.txt", content);
    BOOST_TEST(again.store->database() == o.store->database());
    BOOST_TEST(again.store->size() == 1'000'001u);
    BOOST_TEST(has(*again.store, "student123456@students.example.com"));
}

BOOST_AUTO_TEST_CASE(lookups_from_many_threads) {
    mw::test::TempDir dir("list");
    std::string content;
    for (int i = 0; i < 10000; ++i) content += "u" + std::to_string(i) + "@example.com\n";
    auto o = open_list(dir, "t.txt", content);
    std::vector<std::thread> threads;
    std::vector<int> hits(4, 0);
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            mw::Address a;
            a.domain = "example.com";
            for (int i = 0; i < 20000; ++i) {
                a.local = "u" + std::to_string(i);
                auto r = o.store->contains(a);
                if (r.ok() && *r) ++hits[static_cast<std::size_t>(t)];
            }
        });
    for (auto& t : threads) t.join();
    for (int h : hits) BOOST_TEST(h == 10000);
}

// MDB_APPEND refuses a key that is not above the last one; the compiler must treat that as an
// error, never skip the entry (a lost entry answers "no match": fail open).
BOOST_AUTO_TEST_CASE(a_refused_append_is_an_error_not_a_dropped_entry) {
    mw::test::TempDir dir("lists");
    for (std::vector<std::string_view> keys : {std::vector<std::string_view>{"@b.example", "@a.example"},
                                               std::vector<std::string_view>{"a@example.com", "a@example.com"}}) {
        mw::ParsedList list;
        list.keys = keys;
        fs::path target = dir.path() / "refused.mdb";
        auto r = mw::list_store_detail::compile_keys(target, list, "source");
        BOOST_TEST_REQUIRE(!r.ok());
        BOOST_TEST((r.error().kind == mw::Error::Kind::permanent));
        BOOST_TEST(r.error().detail.find("duplicate or out of order") != std::string::npos, r.error().detail);
        BOOST_TEST(!fs::exists(target));
    }
    mw::ParsedList good;
    good.keys = {"@a.example", "@b.example"};
    BOOST_TEST(mw::list_store_detail::compile_keys(dir.path() / "good.mdb", good, "source").ok());
}
