// Ownership of GMime handles inside mime/: every GObject the inspection creates is held by a
// GObjectPtr, which drops its reference when it goes out of scope; the parser options (a boxed
// type, not a GObject) by ParserOptionsPtr. Objects GMime lends (a message's parts, a part's
// content) are plain pointers and are never unreferenced. Nothing here leaves mime/.
#pragma once

#include <glib-object.h>
#include <gmime/gmime.h>

#include <memory>

namespace mw::mime {

struct GObjectUnref {
    void operator()(void* object) const {
        if (object != nullptr) g_object_unref(object);
    }
};

template <typename T>
using GObjectPtr = std::unique_ptr<T, GObjectUnref>;

struct ParserOptionsFree {
    void operator()(GMimeParserOptions* options) const { g_mime_parser_options_free(options); }
};
using ParserOptionsPtr = std::unique_ptr<GMimeParserOptions, ParserOptionsFree>;

// g_mime_init() once per process, whichever thread asks first (std::call_once). Every entry point
// of mime/ calls it before touching GMime.
void ensure_gmime();

}  // namespace mw::mime
