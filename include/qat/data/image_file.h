// Decoding PNG and JPEG files (stb_image from Debian's libstb-dev) for dataset import.
#pragma once

#include <ATen/ATen.h>

#include <string>

namespace qat::data {

/// Decodes PNG or JPEG `bytes` to uint8 [3,H,W] RGB. Grayscale is replicated to
/// three channels, an alpha channel is dropped (pixels as stored, like OpenCV's
/// IMREAD_COLOR), 16-bit PNGs are reduced to 8 bits; JPEG EXIF orientation is not
/// applied. Throws IoError "`name`: cannot decode image: <reason>".
at::Tensor decode_image(const std::string& bytes, const std::string& name);

/// Reads and decodes the image at `path`; IoError naming the path when the file
/// cannot be read or is not a valid PNG/JPEG.
at::Tensor read_image(const std::string& path);

}  // namespace qat::data
