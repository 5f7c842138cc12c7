// The standalone queue (README "mailwarden serve", docs/design.md decision 3): a message is
// acknowledged with 250 only after its body and envelope are on stable storage.
//
// Layout under STATE_DIR/queue/ (README "The queue on disk"):
//   segments/  append-only segment files shared by many messages; one fdatasync per batch
//   index/     LMDB environment (MDB_NOSYNC): message id -> envelope, body location, per-recipient
//              state; made durable with mdb_env_sync(force) once per batch, before any 250
// Group commit: submit() hands the message to one committer thread, which writes every message that
// arrived since its last round to the current segment, fdatasyncs it once, inserts all their index
// records in one LMDB transaction, syncs the environment once, and only then completes the callbacks.
// An index record therefore only ever points at durable bytes; a crash before the index sync loses
// only messages nobody acknowledged, and their bytes are garbage in a segment.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace mw::smtp::queue {

// DSN (RFC 3461) per-recipient NOTIFY: a bit set; `never` alone means NOTIFY=NEVER.
enum NotifyFlags : std::uint8_t { notify_default = 0, notify_never = 1, notify_success = 2,
                                  notify_failure = 4, notify_delay = 8 };

enum class RecipientState : std::uint8_t { pending, delivered, failed };

struct Recipient {
    std::string address;          // as accepted (after policy redirects), without <>
    std::string orcpt;            // DSN ORCPT, as given ("rfc822;bob@example.com"), may be empty
    std::uint8_t notify = notify_default;
    RecipientState state = RecipientState::pending;
    std::uint32_t attempts = 0;
    std::string last_reply;       // last delivery attempt's reply, "451 4.2.0 mailbox busy"
};

struct Envelope {
    std::string sender;           // without <>; empty = null reverse-path
    std::vector<Recipient> recipients;
    std::string dsn_ret;          // "FULL", "HDRS" or empty
    std::string dsn_envid;        // ENVID xtext-decoded, may be empty
    bool smtputf8 = false;
    bool body_8bit = false;       // BODY=8BITMIME (or BINARYMIME) was given
    std::string client;           // "name[addr]" of the submitting client, for logs and DSNs
    std::string helo;
    std::string connector;        // receive connector that accepted it
    std::int64_t arrival = 0;     // unix seconds
    // At submit only: the message enters the queue on hold (a transport rule quarantined it) and
    // waits for `mailwarden queue release`. Afterwards MessageInfo::state says where it is.
    bool hold = false;
};

// Whether a recipient still pending has an address in `domain` (the part after the last '@',
// compared without case): which messages `queue flush DOMAIN` and ETRN mean.
bool has_pending_recipient_in(const Envelope& envelope, std::string_view domain);

enum class MessageState : std::uint8_t { active, hold };

// What the index holds about one queued message.
struct MessageInfo {
    std::string id;
    Envelope envelope;
    MessageState state = MessageState::active;
    std::int64_t next_attempt = 0;   // unix seconds; 0 = now
    std::uint64_t size = 0;          // body bytes
    bool delay_warned = false;       // a delay DSN has been sent
};

struct SubmitOk {
    std::string id;
};

// Where the queue reports what recovery found (records set aside, segments removed) and failures
// nobody else hears of (a callback that threw). Empty: lines go to stderr.
using QueueLog = std::function<void(const std::string& line)>;

struct QueueOptions {
    std::size_t map_size = std::size_t{1} << 30;             // LMDB map size in bytes
    std::uint64_t segment_bytes = std::uint64_t{64} << 20;  // a batch starting past this opens a new segment
    QueueLog log;
};

class Queue {
public:
    // Opens (creating when absent) STATE_DIR/queue: runs mdb_reader_check, verifies what the index
    // points to (a record whose bytes are missing or fail their checksum is logged and set aside,
    // never delivered), removes segment files no record references, and starts the committer thread.
    // `map_size` is the LMDB map size in bytes.
    static Result<std::unique_ptr<Queue>> open(const std::filesystem::path& state_dir,
                                               std::size_t map_size = std::size_t{1} << 30, QueueLog log = {});
    static Result<std::unique_ptr<Queue>> open(const std::filesystem::path& state_dir, const QueueOptions& options);
    virtual ~Queue() = default;

    // A fresh id, unique across restarts, 16 characters [0-9A-F] (sortable by arrival). The server
    // takes it when it builds the Received: header and logs it like Postfix's queue id.
    virtual std::string new_id() = 0;

    // Durable append under `id` (from new_id()). `body` is the complete message as it will be delivered (our Received: and
    // stamps included), CRLF line endings. `done` runs on the committer thread once the message is
    // durable (value: its id) or failed (Error kind temporary; origin "MDB_MAP_FULL" when the index
    // is full, which the SMTP server answers with 452 4.3.1). Never called before durability.
    virtual void submit(std::string id, Envelope envelope, std::string body, std::function<void(Result<SubmitOk>)> done) = 0;

    // Reading and updating, from any thread (LMDB transactions; updates are durable before return
    // unless stated otherwise).
    virtual Result<std::vector<MessageInfo>> list() = 0;
    virtual Result<std::optional<MessageInfo>> find(const std::string& id) = 0;
    virtual Result<std::string> read_body(const std::string& id) = 0;
    // Active messages with next_attempt <= now, oldest first, at most `limit`.
    virtual Result<std::vector<MessageInfo>> due(std::int64_t now, std::size_t limit) = 0;
    // Replaces the recipients' states and the schedule after a delivery attempt. When every recipient
    // is delivered or failed, the message is removed (and its segment space reclaimed once unused).
    virtual Result<bool> update(const std::string& id, const std::vector<Recipient>& recipients,
                                std::int64_t next_attempt, bool delay_warned) = 0;
    virtual Result<bool> remove(const std::string& id) = 0;  // false: no such message
    virtual Result<bool> set_state(const std::string& id, MessageState state) = 0;
    // `queue flush [DOMAIN]`: every active message due now, or (domain given) every active message
    // with a recipient still pending in that domain (compared without case). Returns how many.
    virtual Result<std::size_t> schedule_now(std::string_view domain = {}) = 0;
    virtual Result<std::size_t> size() = 0;
};

// Opens an existing queue for the `mailwarden queue` commands while a daemon may be running (LMDB
// is multi-process safe). No committer thread, no clean-up of segments; submit() is not allowed.
Result<std::unique_ptr<Queue>> open_for_admin(const std::filesystem::path& state_dir);

}  // namespace mw::smtp::queue
