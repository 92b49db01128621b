// The system's reason for the last failed call, for an IoError message:
// ": no space left on device" (errno's text, lower case, with its separator), or ""
// when errno is 0. Call right after the failing call, before errno changes.
#pragma once

#include <cctype>
#include <cerrno>
#include <cstring>
#include <string>

namespace qat {

inline std::string system_reason() {
  const int err = errno;
  if (err == 0) return "";
  std::string s = std::strerror(err);
  if (!s.empty()) s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
  return ": " + s;
}

}  // namespace qat
