// The MIME samples of tests/data/mime-samples (made by its make-samples script: hand-written
// Outlook and Apple Mail shapes, messages made by swaks, Python and mpack, name tricks, a forwarded
// message, a part bomb, deep nesting), with what the shipped transport rules do to each from outside.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "support/swaks.hpp"

namespace mw::itest {

struct MimeSample {
    std::string name;     // "outlook.eml"
    std::string verdict;  // reject | quarantine | accept
    std::string message;  // the whole message, LF line ends (swaks sends CRLF)
};

// Writes the samples under `dir` and reads them back; throws when the script fails.
std::vector<MimeSample> mime_samples(const std::filesystem::path& dir);

// Sends every sample with `base` (server, port, envelope) and checks each reply: 550 5.7.1 for an
// executable, 250 for the rest. Returns one line per mismatch, empty when all replies were right.
std::vector<std::string> send_mime_samples(const std::vector<MimeSample>& samples, const SwaksOptions& base);

}  // namespace mw::itest
