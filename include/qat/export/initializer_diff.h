// Which initializers of a deployed ONNX model are byte-identical to a reference
// export (the one a checkpoint produces): same name, element type, shape and bytes.
// `qat provenance` uses it to tell whether a deployed model holds a checkpoint's weights.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace onnx { class ModelProto; }

namespace qat::exporter {

struct InitializerDiff {
  int64_t total = 0;      ///< initializers of the deployed model
  int64_t identical = 0;  ///< of those, byte-identical to the reference's initializer of that name
  std::vector<std::string> differing;       ///< in both, but element type, shape or bytes differ (deployed order)
  std::vector<std::string> only_deployed;   ///< in the deployed model only (deployed order)
  std::vector<std::string> only_reference;  ///< in the reference only (reference order)

  /// Every deployed initializer identical and none missing.
  bool all_identical() const { return identical == total && only_reference.empty(); }
};

/// Compares the initializers of `deployed` with those of `reference`. Throws qat::Error
/// naming the tensor when one cannot be read (external data, unsupported element type).
InitializerDiff compare_initializers(const onnx::ModelProto& reference, const onnx::ModelProto& deployed);

}  // namespace qat::exporter
