#include "qat/data/image_file.h"

#include <cctype>
#include <climits>
#include <memory>

#include "qat/core/atomic_file.h"
#include "qat/core/error.h"
#include "qat/core/limits.h"

// The stb_image implementation lives in this translation unit only. STBI_STATIC keeps
// its symbols private, so linking Debian's libstb.so elsewhere cannot clash; only the
// two formats we document are compiled in.
#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_STATIC
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#define STBI_NO_STDIO
#define STBI_FAILURE_USERMSG
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#include <stb/stb_image.h>
#pragma GCC diagnostic pop

namespace qat::data {

at::Tensor decode_image(const std::string& bytes, const std::string& name) {
  if (bytes.empty()) throw IoError(name, "", "cannot decode image: the file is empty");
  if (bytes.size() > static_cast<size_t>(INT_MAX)) throw IoError(name, "", "cannot decode image: larger than 2 GiB");
  int width = 0, height = 0, channels = 0;
  // The header's size, before decoding: a few hundred KB of PNG can declare 40000x40000
  // pixels (4.8 GB decoded).
  if (stbi_info_from_memory(reinterpret_cast<const stbi_uc*>(bytes.data()), static_cast<int>(bytes.size()), &width,
                            &height, &channels) &&
      static_cast<int64_t>(width) * height > limit_value(kMaxImagePixels)) {
    throw IoError(name, "", "cannot decode image: its header declares " + std::to_string(width) + "x" +
                                std::to_string(height) + " pixels, " + describe_limit(kMaxImagePixels));
  }
  // Asking for 3 components makes stb expand gray and drop alpha for us.
  std::unique_ptr<stbi_uc, void (*)(void*)> pixels(
      stbi_load_from_memory(reinterpret_cast<const stbi_uc*>(bytes.data()), static_cast<int>(bytes.size()), &width,
                            &height, &channels, 3),
      stbi_image_free);
  if (!pixels) {
    const bool png = bytes.compare(0, 4, "\x89PNG") == 0;
    const bool jpeg = bytes.compare(0, 3, "\xff\xd8\xff") == 0;
    if (!png && !jpeg) throw IoError(name, "", "cannot decode image: not a PNG or JPEG file");
    std::string reason = stbi_failure_reason();  // e.g. "Corrupt PNG", "PNG not supported: ..."
    if (reason.size() > 1 && std::islower(static_cast<unsigned char>(reason[1]))) {
      reason[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(reason[0])));
    }
    throw IoError(name, "", "cannot decode image: " + reason);
  }
  const at::Tensor hwc = at::from_blob(pixels.get(), {height, width, 3}, at::kByte);
  // clone(), not contiguous(): a 1x1 image is already contiguous after the permute,
  // and the result must not point into stb's buffer, which is freed on return.
  return hwc.permute({2, 0, 1}).clone(at::MemoryFormat::Contiguous);
}

at::Tensor read_image(const std::string& path) { return decode_image(read_file(path), path); }

}  // namespace qat::data
