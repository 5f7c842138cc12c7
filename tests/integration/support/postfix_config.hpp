// main.cf and master.cf of a private Postfix instance, as text.
#pragma once

#include <filesystem>
#include <string>

#include "support/pki.hpp"
#include "support/postfix_instance.hpp"

namespace mw::itest {

struct PostfixConfigPaths {
    std::filesystem::path dir;       // the instance's directory (maillog_file_prefixes)
    std::filesystem::path queue;
    std::filesystem::path data;
    std::filesystem::path maillog;
};

std::string render_main_cf(const PostfixOptions& options, const PostfixConfigPaths& paths, const Pki& pki);
std::string render_master_cf(const PostfixOptions& options);

}  // namespace mw::itest
