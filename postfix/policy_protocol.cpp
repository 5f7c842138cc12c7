#include "postfix/policy_protocol.hpp"

#include "core/quote_text.hpp"

namespace mw::postfix {

namespace {

// Enough of an offending line to recognize it in the log, not enough to flood it.
std::string excerpt(std::string_view line) {
    constexpr std::size_t shown = 64;
    return quote_text(line.substr(0, shown)) + (line.size() > shown ? "..." : "");
}

}  // namespace

const std::string* Attributes::find(std::string_view name) const {
    for (const auto& [n, v] : items_)
        if (n == name) return &v;
    return nullptr;
}

std::string_view Attributes::get(std::string_view name) const {
    const std::string* v = find(name);
    return v ? std::string_view(*v) : std::string_view();
}

bool Attributes::add(std::string name, std::string value) {
    // A linear search: requests hold ~30 attributes, fewer than a hash table would pay for.
    if (find(name)) return false;
    items_.emplace_back(std::move(name), std::move(value));
    return true;
}

PolicyRequestReader::PolicyRequestReader(PolicyLimits limits) : limits_(limits) {}

void PolicyRequestReader::fail(std::string why) {
    error_ = std::move(why);
    partial_.clear();
    partial_.shrink_to_fit();
    current_ = Attributes();
    current_bytes_ = 0;
}

bool PolicyRequestReader::feed(std::string_view bytes) {
    while (!failed() && !bytes.empty()) {
        std::size_t lf = bytes.find('\n');
        bool complete = lf != std::string_view::npos;
        std::string_view chunk = complete ? bytes.substr(0, lf) : bytes;
        // Limits are checked before anything is copied, so an endless line costs at most one limit.
        std::size_t line_bytes = partial_.size() + chunk.size();
        if (line_bytes > limits_.max_line_bytes) {
            fail("policy request line longer than " + std::to_string(limits_.max_line_bytes) + " bytes");
            break;
        }
        if (current_bytes_ + line_bytes + (complete ? 1 : 0) > limits_.max_request_bytes) {
            fail("policy request larger than " + std::to_string(limits_.max_request_bytes) + " bytes");
            break;
        }
        if (!complete) {
            partial_.append(chunk);
            break;
        }
        if (partial_.empty()) {
            take_line(chunk);
        } else {
            partial_.append(chunk);
            std::string line = std::move(partial_);
            partial_.clear();
            take_line(line);
        }
        bytes.remove_prefix(lf + 1);
    }
    return !failed();
}

void PolicyRequestReader::take_line(std::string_view line) {
    current_bytes_ += line.size() + 1;
    // Postfix ends lines with LF alone; a CR before it comes from someone testing by hand with a
    // terminal program, and tolerating it changes no value Postfix can send.
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) {
        if (ready_.size() >= limits_.max_pending_requests)
            return fail("more than " + std::to_string(limits_.max_pending_requests) + " policy requests without a reply");
        // Every empty line ends a request and is owed one reply, even an empty request: the
        // client reads one reply per request, so skipping one would shift every later answer.
        ready_.push_back(std::move(current_));
        current_ = Attributes();
        current_bytes_ = 0;
        return;
    }
    if (line.find('\0') != std::string_view::npos) return fail("NUL byte in policy request line " + excerpt(line));
    std::size_t eq = line.find('=');
    if (eq == std::string_view::npos) return fail("policy request line without '=': " + excerpt(line));
    if (eq == 0) return fail("policy request line with an empty name: " + excerpt(line));
    if (current_.size() >= limits_.max_attributes)
        return fail("policy request with more than " + std::to_string(limits_.max_attributes) + " attributes");
    std::string name(line.substr(0, eq));
    if (!current_.add(name, std::string(line.substr(eq + 1))))
        return fail("policy request repeats attribute " + quote_text(name));
}

std::optional<Attributes> PolicyRequestReader::pop() {
    if (ready_.empty()) return std::nullopt;
    Attributes next = std::move(ready_.front());
    ready_.pop_front();
    return next;
}

std::string format_policy_reply(std::string_view action) {
    std::string out = "action=";
    out.reserve(out.size() + action.size() + 2);
    for (char c : action) out += (c == '\r' || c == '\n' || c == '\0') ? ' ' : c;
    out += "\n\n";
    return out;
}

}  // namespace mw::postfix
