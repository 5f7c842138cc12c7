#include "smtp/server/reply.hpp"

namespace mw::smtp::server {

std::string Reply::wire() const {
    std::string out = std::to_string(code);
    out += ' ';
    if (!status.empty()) {
        out += status;
        out += ' ';
    }
    out += text;
    out += "\r\n";
    return out;
}

}  // namespace mw::smtp::server
