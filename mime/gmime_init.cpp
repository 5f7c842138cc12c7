// GMime's process-wide setup: g_mime_init() registers its types and charset tables and must run
// once, before any thread uses the library; after that, parsing different messages on different
// threads is safe (each inspection has its own parser, options and streams).
#include <mutex>

#include "mime/gmime_ptr.hpp"

namespace mw::mime {

void ensure_gmime() {
    static std::once_flag once;
    std::call_once(once, [] { g_mime_init(); });
}

}  // namespace mw::mime
