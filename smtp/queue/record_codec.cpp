#include "smtp/queue/record_codec.hpp"

namespace mw::smtp::queue {

namespace {

class Writer {
public:
    void u8(std::uint8_t v) { out_.push_back(static_cast<char>(v)); }
    void u32(std::uint32_t v) { fixed(v, 4); }
    void u64(std::uint64_t v) { fixed(v, 8); }
    void i64(std::int64_t v) { fixed(static_cast<std::uint64_t>(v), 8); }
    void str(std::string_view s) {
        u32(static_cast<std::uint32_t>(s.size()));
        out_.append(s);
    }
    std::string take() { return std::move(out_); }

private:
    void fixed(std::uint64_t v, int bytes) {
        for (int i = 0; i < bytes; ++i) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xFFu));
    }
    std::string out_;
};

// Every read checks the remaining length first; the first failure sticks, so decoding code can read
// a whole record and look at ok() once.
class Reader {
public:
    explicit Reader(std::string_view in) : in_(in) {}
    bool ok() const { return ok_; }
    bool at_end() const { return in_.empty(); }
    std::size_t left() const { return in_.size(); }
    std::uint8_t u8() { return static_cast<std::uint8_t>(fixed(1)); }
    std::uint32_t u32() { return static_cast<std::uint32_t>(fixed(4)); }
    std::uint64_t u64() { return fixed(8); }
    std::int64_t i64() { return static_cast<std::int64_t>(fixed(8)); }
    std::string str() {
        std::uint32_t n = u32();
        if (!ok_ || n > in_.size()) return fail<std::string>();
        std::string s(in_.substr(0, n));
        in_.remove_prefix(n);
        return s;
    }
    template <typename T>
    T fail() {
        ok_ = false;
        in_ = {};
        return T{};
    }

private:
    std::uint64_t fixed(std::size_t bytes) {
        if (!ok_ || in_.size() < bytes) return fail<std::uint64_t>();
        std::uint64_t v = 0;
        for (std::size_t i = 0; i < bytes; ++i) v |= std::uint64_t{static_cast<unsigned char>(in_[i])} << (8 * i);
        in_.remove_prefix(bytes);
        return v;
    }
    std::string_view in_;
    bool ok_ = true;
};

Error bad(std::string detail) { return Error{Error::Kind::permanent, "queue record", std::move(detail), ErrorCode::corrupt}; }

// The smallest encoded recipient: two empty strings (4 bytes each), notify, state, attempts, reply.
constexpr std::size_t min_recipient_bytes = 4 + 4 + 1 + 1 + 4 + 4;

}  // namespace

std::string encode_record(const IndexRecord& record) {
    const MessageInfo& m = record.info;
    const Envelope& e = m.envelope;
    Writer w;
    w.u8(record_version);
    w.u64(record.location.segment);
    w.u64(record.location.offset);
    w.u64(record.location.length);
    w.u32(record.location.crc);
    w.u8(static_cast<std::uint8_t>(m.state));
    w.i64(m.next_attempt);
    w.u64(m.size);
    w.u8(m.delay_warned ? 1 : 0);
    w.str(e.sender);
    w.str(e.dsn_ret);
    w.str(e.dsn_envid);
    w.u8(static_cast<std::uint8_t>((e.smtputf8 ? 1 : 0) | (e.body_8bit ? 2 : 0)));
    w.str(e.client);
    w.str(e.helo);
    w.str(e.connector);
    w.i64(e.arrival);
    w.u32(static_cast<std::uint32_t>(e.recipients.size()));
    for (const Recipient& r : e.recipients) {
        w.str(r.address);
        w.str(r.orcpt);
        w.u8(r.notify);
        w.u8(static_cast<std::uint8_t>(r.state));
        w.u32(r.attempts);
        w.str(r.last_reply);
    }
    return w.take();
}

Result<IndexRecord> decode_record(std::string_view id, std::string_view bytes) {
    Reader r(bytes);
    std::uint8_t version = r.u8();
    if (!r.ok()) return bad("empty record");
    if (version != record_version) return bad("unknown record version " + std::to_string(version));
    IndexRecord record;
    MessageInfo& m = record.info;
    Envelope& e = m.envelope;
    m.id = std::string(id);
    record.location.segment = r.u64();
    record.location.offset = r.u64();
    record.location.length = r.u64();
    record.location.crc = r.u32();
    std::uint8_t state = r.u8();
    m.next_attempt = r.i64();
    m.size = r.u64();
    std::uint8_t warned = r.u8();
    for (std::string* field : {&e.sender, &e.dsn_ret, &e.dsn_envid}) *field = r.str();
    std::uint8_t flags = r.u8();
    for (std::string* field : {&e.client, &e.helo, &e.connector}) *field = r.str();
    e.arrival = r.i64();
    std::uint32_t count = r.u32();
    if (!r.ok()) return bad("truncated record");
    if (state > static_cast<std::uint8_t>(MessageState::hold)) return bad("bad message state");
    if (warned > 1 || flags > 3) return bad("bad flags");
    // Checked before reserving: a garbage count must not make us allocate gigabytes.
    if (count > r.left() / min_recipient_bytes) return bad("recipient count exceeds the record");
    m.state = static_cast<MessageState>(state);
    m.delay_warned = warned == 1;
    e.smtputf8 = (flags & 1) != 0;
    e.body_8bit = (flags & 2) != 0;
    e.recipients.reserve(count);
    for (std::uint32_t i = 0; i < count; ++i) {
        Recipient rc;
        rc.address = r.str();
        rc.orcpt = r.str();
        rc.notify = r.u8();
        std::uint8_t rstate = r.u8();
        rc.attempts = r.u32();
        rc.last_reply = r.str();
        if (!r.ok()) return bad("truncated recipient");
        if (rstate > static_cast<std::uint8_t>(RecipientState::failed)) return bad("bad recipient state");
        rc.state = static_cast<RecipientState>(rstate);
        e.recipients.push_back(std::move(rc));
    }
    if (!r.at_end()) return bad("trailing bytes after the record");
    if (m.size != record.location.length) return bad("size disagrees with the body location");
    return record;
}

std::string segment_key(std::uint64_t segment) {
    std::string key(8, '\0');
    for (int i = 0; i < 8; ++i) key[static_cast<std::size_t>(i)] = static_cast<char>((segment >> (8 * (7 - i))) & 0xFFu);
    return key;
}

Result<std::uint64_t> parse_segment_key(std::string_view key) {
    if (key.size() != 8) return bad("segment key of " + std::to_string(key.size()) + " bytes");
    std::uint64_t v = 0;
    for (char c : key) v = (v << 8) | static_cast<unsigned char>(c);
    return v;
}

std::string encode_u64(std::uint64_t v) {
    Writer w;
    w.u64(v);
    return w.take();
}

Result<std::uint64_t> decode_u64(std::string_view bytes) {
    Reader r(bytes);
    std::uint64_t v = r.u64();
    if (!r.ok() || !r.at_end()) return bad("count of " + std::to_string(bytes.size()) + " bytes");
    return v;
}

}  // namespace mw::smtp::queue
