// libFuzzer target: RFC 5321 path parsing and domain normalization.
// Malformed input must yield an error text, never a crash; a parsed address must be a fixed point:
// writing it out and parsing it again gives the same Address (else lists and rules, which store the
// normalized form, would disagree with the addresses they are compared against).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "policy/address.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);

    if (auto domain = mw::normalize_domain(input)) {
        auto again = mw::normalize_domain(*domain);
        if (!again || *again != *domain) {
            std::fprintf(stderr, "normalize_domain is not idempotent: '%s'\n", domain->c_str());
            std::abort();
        }
    }

    auto parsed = mw::parse_address(input);
    if (!parsed.address) {
        if (parsed.error.empty()) {
            std::fprintf(stderr, "parse failure without an error text\n");
            std::abort();
        }
        return 0;
    }
    const mw::Address& address = *parsed.address;
    auto reparsed = mw::parse_address("<" + address.str() + ">");
    if (!reparsed.address || !(*reparsed.address == address)) {
        std::fprintf(stderr, "normalized form does not reparse to itself: '%s' (%s)\n", address.str().c_str(),
                     reparsed.address ? reparsed.address->str().c_str() : reparsed.error.c_str());
        std::abort();
    }
    return 0;
}
