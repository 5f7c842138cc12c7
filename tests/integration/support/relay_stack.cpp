#include "support/relay_stack.hpp"

namespace mw::itest {

namespace {

PostfixOptions relaying_to(PostfixOptions options, const SmtpSink& sink) {
    options.relayhost = sink.relayhost();
    return options;
}

}  // namespace

// Short tag: the queue directory's path must leave room for unix socket names (108 bytes at most).
RelayStack::RelayStack(const Pki& pki, PostfixOptions options, SmtpSinkOptions sink_options, bool start)
    : dir("pf"),
      sink(dir.path() / "sink", std::move(sink_options)),
      postfix(dir.path() / "postfix", pki, relaying_to(std::move(options), sink)) {
    if (start) postfix.start();
}

}  // namespace mw::itest
