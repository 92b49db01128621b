#include "qat/core/excerpt.h"

namespace qat {

std::string excerpt(const std::string& text, size_t max) {
  std::string out = text.substr(0, max);
  // A newline would let a quoted value forge a line of qat's own output.
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  if (text.size() > max) out += "...";
  return out;
}

}  // namespace qat
