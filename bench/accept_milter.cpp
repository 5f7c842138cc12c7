// The baseline for bench/run-postfix: a trivial libmilter milter that accepts everything, with the
// same callbacks registered as mailwarden (so Postfix sends it the same events), doing no work.
// Usage: accept_milter unix:/path/to.sock
#include <libmilter/mfapi.h>

#include <cstdio>

namespace {

sfsistat cont(SMFICTX*) { return SMFIS_CONTINUE; }
sfsistat on_connect(SMFICTX*, char*, _SOCK_ADDR*) { return SMFIS_CONTINUE; }
sfsistat on_helo(SMFICTX*, char*) { return SMFIS_CONTINUE; }
sfsistat on_env(SMFICTX*, char**) { return SMFIS_CONTINUE; }
sfsistat on_header(SMFICTX*, char*, char*) { return SMFIS_CONTINUE; }
sfsistat on_body(SMFICTX*, unsigned char*, size_t) { return SMFIS_CONTINUE; }

char name[] = "accept-all";
struct smfiDesc desc = {
    name,     SMFI_VERSION, SMFIF_ADDHDRS | SMFIF_CHGHDRS, on_connect, on_helo, on_env, on_env, on_header, cont,
    on_body,  cont,         cont,                          cont,       nullptr, nullptr, nullptr,
};

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: accept_milter unix:/path/to.sock\n");
        return 2;
    }
    if (smfi_register(desc) != MI_SUCCESS || smfi_setconn(argv[1]) != MI_SUCCESS || smfi_opensocket(true) != MI_SUCCESS) {
        std::fprintf(stderr, "accept_milter: cannot listen on %s\n", argv[1]);
        return 1;
    }
    return smfi_main();
}
