// Boost.Asio for the SMTP core. Boost 1.74's awaitable.hpp uses std::exchange without including
// <utility>; include it first so every translation unit compiles the same way.
#pragma once

#include <utility>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>

namespace mw::smtp {
namespace asio = boost::asio;
}
