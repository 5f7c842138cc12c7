// Delivery of one message to one Maildir (README "Local delivery"), the way qmail and Dovecot
// write it: the file is created in tmp/, fsynced, then linked into new/ so a reader never sees a
// partial message, and new/ is fsynced so the link survives a crash before we report success.
//
// The path comes from a template ("/var/mail/{domain}/{user}/"). Its fixed prefix (everything
// before the first placeholder's component) belongs to the administrator and is opened normally;
// every component below it is opened with openat(O_NOFOLLOW|O_DIRECTORY) and created (0700) when
// missing, so a symlink planted at {domain} or {user} -- by a local user, or by a restored backup --
// is refused and nothing is ever written through it.
#pragma once

#include <string>
#include <string_view>

#include "smtp/delivery/delivery_outcome.hpp"

namespace mw::smtp::delivery {

class MaildirWriter {
public:
    // `hostname` goes into file names (escaped by maildir_hostname()).
    MaildirWriter(std::string path_template, std::string hostname);

    // Writes "Return-Path: <sender>", "Delivered-To: recipient" and `message` (CRLF converted to
    // LF) to the Maildir of `user` at `domain` (`user` must come from mailbox_user()).
    // Outcomes:
    //   ok          2.0.0 delivered to maildir
    //   temporary   4.2.2 mailbox full (EDQUOT), 4.3.1 mail system full (ENOSPC),
    //               4.3.0 mail system error (EIO, EACCES, ..., a missing template prefix)
    //   permanent   5.2.0 mailbox unavailable: a substituted component is a symlink or not a
    //               directory, or substitution gave an unusable name (empty, ".", "..", '/')
    // Recipient-caused problems are permanent (retrying cannot help and the sender should know);
    // resource and system problems are temporary, so the queue keeps the message.
    DeliveryOutcome deliver(std::string_view sender, std::string_view recipient, std::string_view domain,
                            std::string_view user, std::string_view message) const;

    // The directory deliver() would use (for logs and tests); empty when substitution fails.
    std::string maildir_path(std::string_view domain, std::string_view user) const;

private:
    std::string template_;
    std::string hostname_;
};

// The Maildir file content: the two delivery headers, then the message with CRLF as LF.
std::string maildir_content(std::string_view sender, std::string_view recipient, std::string_view message);

// A host name as it may appear in a Maildir file name: '/' -> "\057", ':' -> "\072" (Dovecot's
// and the Maildir spec's escapes; ':' separates the info part, '/' would be a path).
std::string maildir_hostname(std::string_view hostname);

}  // namespace mw::smtp::delivery
