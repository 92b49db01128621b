#include "qat/core/limits.h"

#include <cerrno>
#include <cstdlib>

#include "qat/core/error.h"
#include "qat/core/excerpt.h"

namespace qat {

int64_t limit_value(const InputLimit& limit) {
  const char* text = std::getenv(limit.name);
  if (text == nullptr || *text == '\0') return limit.fallback;
  errno = 0;
  char* end = nullptr;
  const long long value = std::strtoll(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || value <= 0) {
    throw Error(std::string("environment variable ") + limit.name + ": expected a positive integer, got '" +
                excerpt(text) + "'");
  }
  return static_cast<int64_t>(value);
}

std::string describe_limit(const InputLimit& limit) {
  return "at most " + std::to_string(limit_value(limit)) + " " + limit.unit + " (raise with " + limit.name + "=N)";
}

}  // namespace qat
