#include "policy/list_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <system_error>

#include "policy/domain_name.hpp"
#include "policy/list_file.hpp"
#include "core/lmdb.hpp"

namespace mw {

namespace fs = std::filesystem;

// Metadata lives beside the entries under keys starting with NUL, which no normalized entry can
// (control characters are refused), and which sort before every entry, as MDB_APPEND requires.
namespace {
const std::string meta_count("\0count", 6);
const std::string meta_errors("\0errors", 7);
const std::string meta_source("\0source", 7);

// Bumped whenever normalization or layout changes, so that old compiled lists are rebuilt.
constexpr std::string_view format_version = "mailwarden list v1\n";

constexpr std::size_t mib = 1024 * 1024;
}  // namespace

struct ListStore::Impl {
    lmdb::Env env;
    MDB_dbi dbi = 0;
};

namespace {

Error list_error(Error::Kind kind, std::string detail) {
    return Error{kind, "list", std::move(detail), kind == Error::Kind::config ? ErrorCode::config : ErrorCode::io};
}

struct FdCloser {
    int fd = -1;
    ~FdCloser() {
        if (fd >= 0) ::close(fd);
    }
};

Result<std::string> read_file(const fs::path& source) {
    FdCloser file{::open(source.c_str(), O_RDONLY | O_CLOEXEC)};
    auto fail = [&](const char* what) {
        return list_error(Error::Kind::config,
                          std::string("cannot ") + what + " list file '" + source.string() + "': " + std::strerror(errno));
    };
    if (file.fd < 0) return fail("open");
    struct stat st {};
    if (::fstat(file.fd, &st) != 0) return fail("read");
    std::string content;
    // Sized from fstat, but read to the end: the file may grow or shrink while it is read.
    content.resize(static_cast<std::size_t>(st.st_size > 0 ? st.st_size : 0) + 1);
    std::size_t used = 0;
    while (true) {
        if (used == content.size()) content.resize(content.size() * 2 + 4096);
        ssize_t n = ::read(file.fd, content.data() + used, content.size() - used);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return fail("read");
        if (n == 0) break;
        used += static_cast<std::size_t>(n);
    }
    content.resize(used);
    return content;
}

// FNV-1a, 64 bits: a content fingerprint for naming the compiled file, not a security boundary
// (whoever can write the state directory can write the list anyway).
std::string content_hash(std::string_view content) {
    std::uint64_t h = 0xcbf29ce484222325ULL;
    auto mix = [&](std::string_view s) {
        for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ULL;
    };
    mix(format_version);
    mix(content);
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
    return hex;
}

std::string encode_errors(const std::vector<ListEntryError>& errors) {
    std::string out;
    for (const auto& e : errors) out += std::to_string(e.line) + ' ' + std::to_string(e.col) + ' ' + e.message + '\n';
    return out;
}

std::vector<ListEntryError> decode_errors(std::string_view text) {
    std::vector<ListEntryError> errors;
    while (!text.empty()) {
        auto nl = text.find('\n');
        std::string_view row = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
        ListEntryError e;
        int consumed = 0;
        std::string head(row.substr(0, 32));
        if (std::sscanf(head.c_str(), "%d %d %n", &e.line, &e.col, &consumed) < 2) continue;
        e.message = std::string(row.substr(static_cast<std::size_t>(consumed)));
        errors.push_back(std::move(e));
    }
    return errors;
}

// Writes the sorted keys into a fresh single-file environment at `path`. The file is private
// until renamed, so durability is bought once at the end (MDB_NOSYNC, then a forced sync) and the
// write map saves a copy per page; MDB_APPEND makes each insert an append to the last leaf.
lmdb::Done write_database(const fs::path& path, const ParsedList& list, const std::string& source, std::size_t mapsize) {
    std::error_code ec;
    fs::remove(path, ec);
    auto env = lmdb::Env::create();
    if (!env) return env.error();
    if (auto r = env->set_mapsize(mapsize); !r) return r;
    if (auto r = env->open(path.c_str(), MDB_NOSUBDIR | MDB_NOSYNC | MDB_WRITEMAP | MDB_NOLOCK, 0644); !r) return r;
    auto txn = lmdb::Txn::begin(*env, 0);
    if (!txn) return txn.error();
    auto dbi = txn->open_dbi(nullptr, 0);
    if (!dbi) return dbi.error();
    std::string errors = encode_errors(list.errors);
    std::string count = std::to_string(list.keys.size());
    const std::pair<std::string_view, std::string_view> meta[] = {
        {meta_count, count}, {meta_errors, errors}, {meta_source, source}};
    // MDB_APPEND refuses (put() answers false) a key not strictly above the last one. Skipping it
    // would drop the entry and make a lookup answer "no match": fail open. So it is an error.
    auto refused = [](std::string_view key) {
        std::string shown;
        for (char c : key) shown += c == '\0' ? std::string("\\0") : std::string(1, c);
        return list_error(Error::Kind::permanent,
                          "entry '" + shown + "' is a duplicate or out of order; the compiled list would lose it");
    };
    for (const auto& [key, value] : meta) {
        auto r = txn->put(*dbi, key, value, MDB_APPEND);
        if (!r) return r.error();
        if (!*r) return refused(key);
    }
    // Entries carry no value; a non-null empty view keeps a null pointer away from LMDB's memcpy.
    const std::string_view nothing("", 0);
    for (const auto& key : list.keys) {
        auto r = txn->put(*dbi, key, nothing, MDB_APPEND);
        if (!r) return r.error();
        if (!*r) return refused(key);
    }
    if (auto r = txn->commit(); !r) return r;
    if (auto r = env->sync(true); !r) return r;
    // The write map grew the file to the whole map; give back the unused tail, so that the file is
    // the size LMDB would have written without MDB_WRITEMAP.
    MDB_envinfo info{};
    MDB_stat stat{};
    if (mdb_env_info(env->get(), &info) == MDB_SUCCESS && mdb_env_stat(env->get(), &stat) == MDB_SUCCESS) {
        auto used = static_cast<std::uintmax_t>(info.me_last_pgno + 1) * stat.ms_psize;
        fs::resize_file(path, used, ec);
    }
    return std::monostate{};
}

Result<std::monostate> build_database(const fs::path& target, const ParsedList& list, const std::string& source) {
    // Each entry costs a node header, its key and a slot on a leaf page; twice the key bytes plus
    // 64 leaves room for branch pages. MDB_MAP_FULL (an estimate too low) doubles and retries.
    std::size_t estimate = mib + 2 * source.size() + 64 * list.errors.size();
    for (const auto& e : list.errors) estimate += 2 * e.message.size();
    for (const auto& key : list.keys) estimate += 64 + 2 * key.size();
    std::size_t mapsize = (estimate + mib - 1) / mib * mib;
    // Unique per process and per call: a reload and a `check` may compile the same list at once.
    static std::atomic<unsigned> builds{0};
    fs::path temp = target;
    temp += ".tmp." + std::to_string(::getpid()) + "." + std::to_string(builds++);
    for (int attempt = 0;; ++attempt) {
        auto written = write_database(temp, list, source, mapsize);
        if (written) break;
        std::error_code ec;
        fs::remove(temp, ec);
        if (!written.error().is(ErrorCode::storage_full) || attempt >= 8) return written.error();
        mapsize *= 2;
    }
    std::error_code ec;
    fs::rename(temp, target, ec);
    if (ec) {
        fs::remove(temp, ec);
        return list_error(Error::Kind::temporary, "cannot rename the compiled list into " + target.string() + ": " + ec.message());
    }
    return std::monostate{};
}

struct Opened {
    std::unique_ptr<ListStore::Impl> impl;
    std::size_t entries = 0;
    std::vector<ListEntryError> errors;
    std::string source;
};

// Opens a compiled list read-only: the file never changes once renamed into place, so there is
// no lock file (MDB_NOLOCK) and readers need no coordination.
Result<Opened> open_database(const fs::path& path) {
    Opened opened;
    opened.impl = std::make_unique<ListStore::Impl>();
    auto env = lmdb::Env::create();
    if (!env) return env.error();
    opened.impl->env = std::move(*env);
    if (auto r = opened.impl->env.open(path.c_str(), MDB_RDONLY | MDB_NOSUBDIR | MDB_NOLOCK, 0); !r) return r.error();
    auto txn = lmdb::Txn::begin(opened.impl->env, MDB_RDONLY);
    if (!txn) return txn.error();
    auto dbi = txn->open_dbi(nullptr, 0);
    if (!dbi) return dbi.error();
    opened.impl->dbi = *dbi;
    auto count = txn->get(*dbi, meta_count);
    auto errors = txn->get(*dbi, meta_errors);
    auto source = txn->get(*dbi, meta_source);
    if (!count) return count.error();
    if (!errors) return errors.error();
    if (!source) return source.error();
    if (!*count || !*errors || !*source) return list_error(Error::Kind::temporary, "compiled list " + path.string() + " lacks its metadata");
    opened.entries = std::strtoull(std::string(**count).c_str(), nullptr, 10);
    opened.errors = decode_errors(**errors);
    opened.source = std::string(**source);
    return opened;
}

// Best effort: older builds of the same list ("<stem>.<other hash>.mdb" compiled from the same
// source path) are removed. A sibling from another directory's list of the same stem is kept.
void remove_stale(const fs::path& dir, const std::string& stem, const fs::path& current, const std::string& source) {
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        const fs::path& path = it->path();
        std::string name = path.filename().string();
        if (path == current || !name.starts_with(stem + ".") || !name.ends_with(".mdb")) continue;
        if (name.size() != stem.size() + 1 + 16 + 4) continue;
        auto other = open_database(path);
        if (other && other->source == source) fs::remove(path, ec);
        ec.clear();
    }
}

}  // namespace

namespace list_store_detail {

// Test hook (declared by the test itself): compiles `list`'s keys as given, without sorting them,
// so that a test can show that a refused append is an error and never a silently dropped entry.
Result<std::monostate> compile_keys(const fs::path& target, const ParsedList& list, const std::string& source) {
    return build_database(target, list, source);
}

}  // namespace list_store_detail

ListStore::~ListStore() = default;

Result<std::shared_ptr<const ListStore>> ListStore::open(const fs::path& source, const fs::path& state_dir,
                                                         std::vector<ListEntryError>& entry_errors) {
    auto content = read_file(source);
    if (!content) return content.error();
    std::error_code ec;
    fs::path dir = state_dir / "lists";
    fs::create_directories(dir, ec);
    if (ec) return list_error(Error::Kind::config, "cannot create directory '" + dir.string() + "': " + ec.message());
    std::string stem = source.stem().string();
    fs::path database = dir / (stem + "." + content_hash(*content) + ".mdb");
    std::string source_key = fs::absolute(source, ec).lexically_normal().string();

    // An unchanged list is reused as compiled; a damaged file is simply compiled again.
    auto opened = fs::exists(database, ec) ? open_database(database) : Result<Opened>(Error{});
    if (!opened) {
        ParsedList list = parse_list(*content);
        content->clear();
        content->shrink_to_fit();
        if (auto built = build_database(database, list, source_key); !built) return built.error();
        opened = open_database(database);
        if (!opened) return opened.error();
        remove_stale(dir, stem, database, source_key);
    }
    entry_errors.insert(entry_errors.end(), opened->errors.begin(), opened->errors.end());
    // The constructor is private (only open() makes a ListStore), so make_shared cannot reach it.
    std::shared_ptr<ListStore> store(new ListStore());
    store->impl_ = std::move(opened->impl);
    store->entries_ = opened->entries;
    store->source_ = source;
    store->database_ = database;
    return std::shared_ptr<const ListStore>(std::move(store));
}

namespace {

// True if any key is present, all looked up in one read-only snapshot.
template <typename Keys>
Result<bool> contains_any(const ListStore::Impl& impl, const Keys& keys) {
    auto txn = lmdb::Txn::begin(impl.env, MDB_RDONLY);
    if (!txn) return txn.error();
    for (const auto& key : keys) {
        auto found = txn->get(impl.dbi, key);
        if (!found) return found.error();
        if (*found) return true;
    }
    return false;
}

// "@d" and "@*.P" for each proper parent P of d ("@*.P" never matches P itself).
void domain_keys(std::string_view domain, std::vector<std::string>& keys) {
    keys.push_back("@" + std::string(domain));
    if (domain.starts_with("[")) return;  // an address literal has no parents
    for (auto dot = domain.find('.'); dot != std::string_view::npos; dot = domain.find('.', dot + 1))
        keys.push_back("@*." + std::string(domain.substr(dot + 1)));
}

}  // namespace

Result<bool> ListStore::contains(const Address& address) const {
    if (address.null || address.domain.empty()) return false;
    std::vector<std::string> keys;
    keys.reserve(6);
    keys.push_back(address.str());
    domain_keys(address.domain, keys);
    return contains_any(*impl_, keys);
}

Result<bool> ListStore::contains_domain(std::string_view domain) const {
    auto normalized = normalize_domain(domain);
    if (!normalized) return false;
    std::vector<std::string> keys;
    keys.reserve(5);
    domain_keys(*normalized, keys);
    return contains_any(*impl_, keys);
}

}  // namespace mw
