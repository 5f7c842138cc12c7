#include "support/mime_samples.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace mw::itest {

namespace fs = std::filesystem;

std::vector<MimeSample> mime_samples(const fs::path& dir) {
    std::string cmd = std::string(MW_SOURCE_DIR) + "/tests/data/mime-samples/make-samples '" + dir.string() + "'";
    if (std::system(cmd.c_str()) != 0) throw std::runtime_error("failed: " + cmd);
    std::vector<MimeSample> out;
    std::ifstream expected(dir / "expected");
    std::string name, verdict;
    while (expected >> name >> verdict) {
        std::ifstream in(dir / name, std::ios::binary);
        std::ostringstream text;
        text << in.rdbuf();
        out.push_back({name, verdict, text.str()});
    }
    if (out.size() < 18) throw std::runtime_error("make-samples wrote only " + std::to_string(out.size()) + " samples");
    return out;
}

std::vector<std::string> send_mime_samples(const std::vector<MimeSample>& samples, const SwaksOptions& base) {
    std::vector<std::string> problems;
    for (const auto& sample : samples) {
        SwaksOptions o = base;
        o.data = sample.message;
        auto r = swaks(o);
        std::string reply = r.end_of_data_reply();
        bool ok = sample.verdict == "reject" ? reply == "550 5.7.1 Executable attachments are not accepted"
                                             : reply.rfind("250 ", 0) == 0;
        if (!ok) problems.push_back(sample.name + " (" + sample.verdict + "): end of data answered '" + reply + "'\n" +
                                    r.transcript.substr(0, 3000));
    }
    return problems;
}

}  // namespace mw::itest
