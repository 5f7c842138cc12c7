// What a coroutine's exception said, for the log: co_spawn hands a finished coroutine's exception to
// its completion handler as an exception_ptr, and no exception may leave that handler.
#pragma once

#include <exception>
#include <string>

namespace mw::smtp {

inline std::string exception_text(const std::exception_ptr& e) {
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& x) {
        return x.what();
    } catch (...) {
        return "unknown exception";
    }
}

}  // namespace mw::smtp
