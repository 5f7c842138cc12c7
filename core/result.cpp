#include "core/result.hpp"

namespace mw {

const char* to_string(ErrorCode code) {
    switch (code) {
        case ErrorCode::internal: return "internal";
        case ErrorCode::io: return "io";
        case ErrorCode::storage_full: return "storage_full";
        case ErrorCode::not_found: return "not_found";
        case ErrorCode::corrupt: return "corrupt";
        case ErrorCode::invalid: return "invalid";
        case ErrorCode::busy: return "busy";
        case ErrorCode::config: return "config";
    }
    return "internal";
}

}  // namespace mw
