#include "core/result.hpp"

#include "core/enum_names.hpp"

namespace mw {

const char* to_string(ErrorCode code) {
    static constexpr const char* names[] = {"internal", "io", "storage_full", "not_found",
                                            "corrupt", "invalid", "busy", "config"};
    return enum_name(code, names, "internal");
}

}  // namespace mw
