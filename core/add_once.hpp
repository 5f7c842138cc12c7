// A vector used as a small ordered set: values in the order first seen, each once.
#pragma once

#include <algorithm>
#include <utility>
#include <vector>

namespace mw {

// Appends `value` unless `values` holds it already; true when it was appended.
template <typename T>
bool add_once(std::vector<T>& values, T value) {
    if (std::find(values.begin(), values.end(), value) != values.end()) return false;
    values.push_back(std::move(value));
    return true;
}

}  // namespace mw
