#include "smtp/delivery/maildir_writer.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <optional>
#include <vector>

#include "core/unique_fd.hpp"

namespace mw::smtp::delivery {

namespace {

using mw::UniqueFd;

// File names are unique per process by (time, pid, counter); the counter also separates several
// deliveries within one microsecond from the worker threads.
std::atomic<unsigned long> delivery_counter{0};

std::string errno_text(int err) {
    char buf[256];
    return ::strerror_r(err, buf, sizeof buf);  // GNU strerror_r: returns the text
}

// Resource and system errors: the queue keeps the message and retries (RFC 3463 codes).
DeliveryOutcome system_failure(const std::string& what, int err) {
    std::string detail = what + ": " + errno_text(err);
    if (err == EDQUOT) return DeliveryOutcome::temporary("4.2.2", "mailbox full", std::move(detail));
    if (err == ENOSPC) return DeliveryOutcome::temporary("4.3.1", "mail system full", std::move(detail));
    return DeliveryOutcome::temporary("4.3.0", "mail system error", std::move(detail));
}

DeliveryOutcome unavailable(std::string detail) {
    return DeliveryOutcome::permanent("5.2.0", "mailbox unavailable", std::move(detail));
}

// The template split at its fixed prefix, with placeholders substituted below it.
struct Layout {
    std::string prefix;                   // administrator's path, may contain symlinks
    std::vector<std::string> components;  // opened one by one without following symlinks
};

std::string substitute(std::string_view component, std::string_view domain, std::string_view user) {
    std::string out;
    for (std::size_t i = 0; i < component.size();) {
        if (component.compare(i, 8, "{domain}") == 0) {
            out += domain;
            i += 8;
        } else if (component.compare(i, 6, "{user}") == 0) {
            out += user;
            i += 6;
        } else {
            out += component[i++];
        }
    }
    return out;
}

// nullopt when a substituted component could name something else than one directory entry.
std::optional<Layout> make_layout(std::string_view tmpl, std::string_view domain, std::string_view user) {
    Layout layout;
    std::string_view rest;
    if (auto brace = tmpl.find('{'); brace == std::string_view::npos) {
        layout.prefix = std::string(tmpl);
    } else {
        auto slash = tmpl.rfind('/', brace);
        if (slash == std::string_view::npos) return std::nullopt;
        layout.prefix = std::string(tmpl.substr(0, slash + 1));
        rest = tmpl.substr(slash + 1);
    }
    while (!rest.empty()) {
        auto slash = rest.find('/');
        std::string_view raw = rest.substr(0, slash);
        rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
        if (raw.empty()) continue;  // "a//b" and the trailing '/'
        std::string c = substitute(raw, domain, user);
        if (c.empty() || c == "." || c == ".." || c.find('/') != std::string::npos ||
            c.find('\0') != std::string::npos)
            return std::nullopt;
        layout.components.push_back(std::move(c));
    }
    return layout;
}

struct OpenedDir {
    UniqueFd fd;
    std::optional<DeliveryOutcome> failure;
};

// Opens `name` under `parent` as a directory, never following a symlink; creates it (0700) when
// missing and fsyncs `parent`, so the new entry is durable before anything is written below it.
OpenedDir open_or_create(int parent, const std::string& name) {
    for (int attempt = 0; attempt < 3; ++attempt) {
        int fd = ::openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd >= 0) return {UniqueFd(fd), std::nullopt};
        int err = errno;
        if (err == ELOOP || err == ENOTDIR)  // a symlink (ELOOP under O_NOFOLLOW) or a file
            return {UniqueFd(), unavailable("'" + name + "' is a symlink or not a directory")};
        if (err != ENOENT) return {UniqueFd(), system_failure("open '" + name + "'", err)};
        if (::mkdirat(parent, name.c_str(), 0700) != 0) {
            if (errno == EEXIST) continue;  // created meanwhile: open it (and check it) again
            return {UniqueFd(), system_failure("mkdir '" + name + "'", errno)};
        }
        if (::fsync(parent) != 0) return {UniqueFd(), system_failure("fsync parent of '" + name + "'", errno)};
    }
    return {UniqueFd(), system_failure("open '" + name + "'", EAGAIN)};
}

bool write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

std::string unique_name(const std::string& host, std::size_t size) {
    struct timeval tv {};
    ::gettimeofday(&tv, nullptr);
    return std::to_string(tv.tv_sec) + ".M" + std::to_string(tv.tv_usec) + "P" + std::to_string(::getpid()) + "Q" +
           std::to_string(++delivery_counter) + "." + host + ",S=" + std::to_string(size);
}

}  // namespace

std::string maildir_hostname(std::string_view hostname) {
    std::string out;
    for (char c : hostname) {
        if (c == '/')
            out += "\\057";
        else if (c == ':')
            out += "\\072";
        else
            out += c;
    }
    return out;
}

std::string maildir_content(std::string_view sender, std::string_view recipient, std::string_view message) {
    std::string out;
    out.reserve(message.size() + sender.size() + recipient.size() + 32);
    out += "Return-Path: <";
    out += sender;
    out += ">\nDelivered-To: ";
    out += recipient;
    out += "\n";
    // README "Local delivery": Maildir files use LF, as Postfix and Dovecot write them. A lone CR is kept (the
    // server refuses bare CR in DATA, so it can only come from an encoded body).
    for (std::size_t i = 0; i < message.size(); ++i) {
        if (message[i] == '\r' && i + 1 < message.size() && message[i + 1] == '\n') continue;
        out += message[i];
    }
    return out;
}

MaildirWriter::MaildirWriter(std::string path_template, std::string hostname)
    : template_(std::move(path_template)), hostname_(maildir_hostname(hostname.empty() ? "localhost" : hostname)) {}

std::string MaildirWriter::maildir_path(std::string_view domain, std::string_view user) const {
    auto layout = make_layout(template_, domain, user);
    if (!layout) return {};
    std::string path = layout->prefix;
    for (const auto& c : layout->components) {
        if (!path.empty() && path.back() != '/') path += '/';
        path += c;
    }
    return path;
}

DeliveryOutcome MaildirWriter::deliver(std::string_view sender, std::string_view recipient, std::string_view domain,
                                       std::string_view user, std::string_view message) const {
    auto layout = make_layout(template_, domain, user);
    if (!layout) return unavailable("maildir template gives no usable path for this recipient");
    if (layout->prefix.empty() || layout->prefix.front() != '/')
        return DeliveryOutcome::temporary("4.3.5", "mail system configuration error",
                                          "maildir template is not an absolute path");

    UniqueFd dir(::open(layout->prefix.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir) {
        int err = errno;
        // The fixed prefix is the administrator's: a missing one is a configuration error that
        // must not bounce mail.
        return DeliveryOutcome::temporary("4.3.5", "mail system configuration error",
                                          "open '" + layout->prefix + "': " + errno_text(err));
    }
    for (const auto& component : layout->components) {
        auto next = open_or_create(dir.get(), component);
        if (next.failure) return *next.failure;
        dir = std::move(next.fd);
    }
    UniqueFd subdirs[3];
    const char* const names[3] = {"tmp", "new", "cur"};
    for (int i = 0; i < 3; ++i) {
        auto sub = open_or_create(dir.get(), names[i]);
        if (sub.failure) return *sub.failure;
        subdirs[i] = std::move(sub.fd);
    }
    const int tmp = subdirs[0].get();
    const int fresh = subdirs[1].get();

    const std::string content = maildir_content(sender, recipient, message);
    std::string name;
    UniqueFd file;
    for (int attempt = 0; attempt < 5 && !file; ++attempt) {
        name = unique_name(hostname_, content.size());
        file.reset(::openat(tmp, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
        if (!file && errno != EEXIST) return system_failure("create tmp/" + name, errno);
    }
    if (!file) return system_failure("create tmp/" + name, EEXIST);

    auto fail = [&](const std::string& what, int err) {
        ::unlinkat(tmp, name.c_str(), 0);
        return system_failure(what, err);
    };
    if (!write_all(file.get(), content)) return fail("write tmp/" + name, errno);
    if (::fsync(file.get()) != 0) return fail("fsync tmp/" + name, errno);
    // close() is where NFS reports deferred write errors; a failed close is a failed delivery.
    if (::close(file.release()) != 0) return fail("close tmp/" + name, errno);

    // link(), not rename(): it never replaces an existing message (the Maildir convention).
    if (::linkat(tmp, name.c_str(), fresh, name.c_str(), 0) != 0) return fail("link new/" + name, errno);
    if (::fsync(fresh) != 0) {
        int err = errno;
        ::unlinkat(fresh, name.c_str(), 0);  // not known durable: retry rather than report success
        return fail("fsync new/", err);
    }
    // A failed unlink only leaves a copy in tmp/, which Maildir readers clean up after 36 hours.
    ::unlinkat(tmp, name.c_str(), 0);
    auto ok = DeliveryOutcome::ok("delivered to maildir");
    ok.detail = "new/" + name;
    return ok;
}

}  // namespace mw::smtp::delivery
