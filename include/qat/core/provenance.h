// What produced an artifact: versions of qat and the libraries it ran on.
#pragma once

#include <map>
#include <string>

namespace qat {

/// {"qat", "libtorch", "onnx"}; add "onnxruntime" where it was used.
std::map<std::string, std::string> library_versions();

}  // namespace qat
