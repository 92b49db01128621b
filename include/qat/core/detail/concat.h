// Joins streamable values into one string, for QAT_CHECK / QAT_ASSERT messages.
#pragma once

#include <sstream>
#include <string>

namespace qat::detail {

inline std::string concat() { return {}; }

template <typename... Args>
std::string concat(const Args&... args) {
  std::ostringstream out;
  (out << ... << args);
  return out.str();
}

}  // namespace qat::detail
