// The usual arrangement for a test: a private Postfix relaying everything to an smtp-sink, both under
// one test directory. Members are public and destroyed in reverse order: Postfix stops first, then the
// sink, then the directory goes.
#pragma once

#include "support/pki.hpp"
#include "support/postfix_instance.hpp"
#include "support/smtp_sink.hpp"
#include "test_support.hpp"

namespace mw::itest {

struct RelayStack {
    // options.relayhost is set to the sink. start = false: call postfix.start() yourself, e.g. after
    // starting a DovecotSasl or a daemon whose sockets main.cf names.
    explicit RelayStack(const Pki& pki, PostfixOptions options = {}, SmtpSinkOptions sink_options = {},
                        bool start = true);

    mw::test::TempDir dir;
    SmtpSink sink;
    PostfixInstance postfix;
};

}  // namespace mw::itest
