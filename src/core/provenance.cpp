#include "qat/core/provenance.h"

#include <onnx/common/version.h>
#include <torch/version.h>

namespace qat {

std::map<std::string, std::string> library_versions() {
  return {{"qat", QAT_VERSION}, {"libtorch", TORCH_VERSION}, {"onnx", onnx::LAST_RELEASE_VERSION}};
}

}  // namespace qat
