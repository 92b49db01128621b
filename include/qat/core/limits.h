// Size limits on inputs, checked before anything is allocated, so a small hostile
// file (an ONNX initializer declaring 1e12 elements, a PNG header declaring
// 40000x40000, an HDF5 dataset that decompresses to gigabytes) is refused with a
// clear error instead of exhausting memory. Each limit has a documented default
// (docs/limits.md) and can be raised by an environment variable of the same name.
#pragma once

#include <cstdint>
#include <string>

namespace qat {

struct InputLimit {
  const char* name;  ///< the environment variable that overrides it, e.g. "QAT_MAX_IMAGE_PIXELS"
  int64_t fallback;  ///< the default
  const char* unit;  ///< "pixels", "bytes", ... for messages
};

/// Pixels (width x height) of one decoded PNG/JPEG image: 64 Mpx (8192 x 8192).
inline constexpr InputLimit kMaxImagePixels{"QAT_MAX_IMAGE_PIXELS", int64_t(1) << 26, "pixels"};
/// Bytes of one tensor read from an HDF5 file (a dataset column, a checkpoint tensor): 2 GiB.
inline constexpr InputLimit kMaxTensorBytes{"QAT_MAX_TENSOR_BYTES", int64_t(1) << 31, "bytes"};
/// Images `qat provenance --samples` runs through both runtimes.
inline constexpr InputLimit kMaxProvenanceSamples{"QAT_MAX_PROVENANCE_SAMPLES", 4096, "images"};

/// The limit's value: the environment variable when set to a positive integer, else the default.
/// A set but malformed variable is an error (qat::Error naming it).
int64_t limit_value(const InputLimit& limit);

/// "at most N <unit> (raise with QAT_MAX_...=M)" for error messages.
std::string describe_limit(const InputLimit& limit);

}  // namespace qat
