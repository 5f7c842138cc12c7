#include "support/forged_stamps.hpp"

namespace mw::itest {

const std::vector<std::string>& forged_stamp_headers() {
    static const std::vector<std::string> headers = {
        "X-Mailwarden-AuthAs: Internal",
        "X-Mailwarden-AuthAs: Internal",
        "X-MAILWARDEN-AUTHAS: Partner",
        "X-Mailwarden-Domain-Secure: pass domain=partner.example",
        "Authentication-Results: mx.example.com; auth=pass smtp.auth=ceo@example.com",
        "Authentication-Results: other.example; spf=pass",
    };
    return headers;
}

std::vector<std::string> forged_stamp_problems(const std::string& m) {
    std::vector<std::string> problems;
    auto has = [&m](const char* text) { return m.find(text) != std::string::npos; };
    std::size_t ours = 0;
    for (auto at = m.find("X-Mailwarden-AuthAs: Anonymous"); at != std::string::npos;
         at = m.find("X-Mailwarden-AuthAs: Anonymous", at + 1))
        ++ours;
    if (ours != 1) problems.push_back("our X-Mailwarden-AuthAs: Anonymous stamp appears " + std::to_string(ours) + " times");
    if (has("Internal")) problems.push_back("a forged AuthAs: Internal is left");
    if (has("X-MAILWARDEN-AUTHAS")) problems.push_back("the upper-case forged AuthAs is left");
    if (has("X-Mailwarden-Domain-Secure")) problems.push_back("the forged Domain-Secure stamp is left");
    if (has("smtp.auth=ceo@example.com")) problems.push_back("the forged Authentication-Results with our id is left");
    if (!has("Authentication-Results: other.example; spf=pass"))
        problems.push_back("another organization's Authentication-Results was removed");
    return problems;
}

}  // namespace mw::itest
