#include "daemon/logger.hpp"

#include <syslog.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <mutex>
#include <stdexcept>
#include <string>

namespace mw::daemon {

namespace {

std::mutex g_mutex;
enum class Target { stderr_stream, syslog, file } g_target = Target::stderr_stream;
std::FILE* g_file = nullptr;
std::string g_host;

std::string prefix_for(LogLevel level) {
    switch (level) {
        case LogLevel::info: return "";
        case LogLevel::warning: return "warning: ";
        case LogLevel::error: return "error: ";
    }
    return "";
}

std::string stamp() {
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    ::localtime_r(&now, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%b %e %H:%M:%S", &tm);
    return buf;
}

}  // namespace

void log_open(const std::string& target) {
    std::lock_guard lock(g_mutex);
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    g_host = host;
    if (g_file) {
        std::fclose(g_file);
        g_file = nullptr;
    }
    if (target.empty() || target == "stderr") {
        g_target = Target::stderr_stream;
    } else if (target == "syslog") {
        ::openlog("mailwarden", LOG_PID | LOG_NDELAY, LOG_MAIL);
        g_target = Target::syslog;
    } else {
        g_file = std::fopen(target.c_str(), "a");
        if (!g_file) throw std::runtime_error("cannot open log file " + target);
        g_target = Target::file;
    }
}

void log(LogLevel level, std::string_view text) {
    std::string line = prefix_for(level);
    line += text;
    std::lock_guard lock(g_mutex);
    if (g_target == Target::syslog) {
        int priority = level == LogLevel::info ? LOG_INFO : level == LogLevel::warning ? LOG_WARNING : LOG_ERR;
        ::syslog(priority, "%s", line.c_str());
        return;
    }
    std::string full = stamp() + " " + g_host + " mailwarden[" + std::to_string(::getpid()) + "]: " + line + "\n";
    std::FILE* out = g_target == Target::file && g_file ? g_file : stderr;
    std::fwrite(full.data(), 1, full.size(), out);
    std::fflush(out);
}

}  // namespace mw::daemon
