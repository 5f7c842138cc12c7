// The read and update side of LmdbQueue: every call is one LMDB transaction; updates are synced
// (mdb_env_sync force) before they return, so a delivered message never comes back after a crash
// unless the crash beat the return.
#include "smtp/queue/lmdb_queue.hpp"

namespace mw::smtp::queue {

namespace {

Error no_such(const std::string& id) { return Error{Error::Kind::permanent, "queue", "no message " + id, ErrorCode::not_found}; }

bool finished(const std::vector<Recipient>& recipients) {
    for (const Recipient& r : recipients)
        if (r.state == RecipientState::pending) return false;
    return true;
}

}  // namespace

Result<std::vector<MessageInfo>> LmdbQueue::list() {
    auto txn = index_.read();
    if (!txn) return txn.error();
    std::vector<MessageInfo> all;
    auto walked = index_.for_each_message(*txn, [&](IndexRecord& record) {
        all.push_back(std::move(record.info));
        return true;
    });
    if (!walked) return walked.error();
    return all;
}

Result<std::optional<MessageInfo>> LmdbQueue::find(const std::string& id) {
    auto txn = index_.read();
    if (!txn) return txn.error();
    auto record = index_.get(*txn, id);
    if (!record) return record.error();
    if (!*record) return std::optional<MessageInfo>{};
    return std::optional<MessageInfo>(std::move((*record)->info));
}

Result<std::string> LmdbQueue::read_body(const std::string& id) {
    BodyLocation where;
    {
        auto txn = index_.read();
        if (!txn) return txn.error();
        auto record = index_.get(*txn, id);
        if (!record) return record.error();
        if (!*record) return no_such(id);
        where = (*record)->location;
    }
    return segments_.read(id, where);
}

Result<std::vector<MessageInfo>> LmdbQueue::due(std::int64_t now, std::size_t limit) {
    auto txn = index_.read();
    if (!txn) return txn.error();
    std::vector<MessageInfo> ready;
    if (limit == 0) return ready;
    // Ids sort by arrival, so key order is oldest first. A full scan: fine for the queue sizes a
    // standalone MTA holds; a (next_attempt, id) database would make this a range read.
    auto walked = index_.for_each_message(*txn, [&](IndexRecord& record) {
        if (record.info.state == MessageState::active && record.info.next_attempt <= now)
            ready.push_back(std::move(record.info));
        return ready.size() < limit;
    });
    if (!walked) return walked.error();
    return ready;
}

Result<bool> LmdbQueue::modify(const std::string& id, const std::function<bool(IndexRecord&)>& change) {
    std::optional<std::uint64_t> emptied;  // a segment whose last message this call removed
    std::uint64_t segment = 0;
    {
        auto txn = index_.write();
        if (!txn) return txn.error();
        auto record = index_.get(*txn, id);
        if (!record) return record.error();
        if (!*record) return false;
        IndexRecord& r = **record;
        segment = r.location.segment;
        bool keep = change(r);
        if (keep) {
            if (auto put = index_.replace(*txn, r); !put) return put.error();
        } else {
            auto left = index_.erase(*txn, r);
            if (!left) return left.error();
            if (*left == 0) emptied = segment;
        }
        if (auto committed = txn->commit(); !committed) return committed.error();
    }
    if (auto synced = index_.sync(); !synced) return synced.error();
    // Synced above, so the unlink can never leave a durable record pointing into a removed file.
    if (emptied) reclaim(*emptied, true);
    return true;
}

Result<bool> LmdbQueue::update(const std::string& id, const std::vector<Recipient>& recipients,
                               std::int64_t next_attempt, bool delay_warned) {
    return modify(id, [&](IndexRecord& r) {
        r.info.envelope.recipients = recipients;
        r.info.next_attempt = next_attempt;
        r.info.delay_warned = delay_warned;
        return !finished(recipients);
    });
}

Result<bool> LmdbQueue::remove(const std::string& id) {
    return modify(id, [](IndexRecord&) { return false; });
}

Result<bool> LmdbQueue::set_state(const std::string& id, MessageState state) {
    return modify(id, [&](IndexRecord& r) {
        r.info.state = state;
        return true;
    });
}

Result<std::size_t> LmdbQueue::schedule_now(std::string_view domain) {
    std::size_t scheduled = 0;
    {
        auto txn = index_.write();
        if (!txn) return txn.error();
        std::vector<IndexRecord> changed;
        auto walked = index_.for_each_message(*txn, [&](IndexRecord& record) {
            if (record.info.state != MessageState::active) return true;
            if (!domain.empty() && !has_pending_recipient_in(record.info.envelope, domain)) return true;
            ++scheduled;
            if (record.info.next_attempt != 0) {
                record.info.next_attempt = 0;
                changed.push_back(std::move(record));
            }
            return true;
        });
        if (!walked) return walked.error();
        // Written after the walk: the cursor's pages must not change under it.
        for (const IndexRecord& r : changed)
            if (auto put = index_.replace(*txn, r); !put) return put.error();
        if (auto committed = txn->commit(); !committed) return committed.error();
    }
    if (auto synced = index_.sync(); !synced) return synced.error();
    return scheduled;
}

Result<std::size_t> LmdbQueue::size() {
    auto txn = index_.read();
    if (!txn) return txn.error();
    return index_.entries(*txn, QueueIndex::Db::messages);
}

}  // namespace mw::smtp::queue
