#include "qat/export/initializer_diff.h"

#include <onnx/onnx_pb.h>

#include <cstring>
#include <map>
#include <set>

#include "qat/graph/onnx_tensor.h"

namespace qat::exporter {
namespace {

// Values compare through ATen so that raw_data and the typed fields compare alike.
bool same_bytes(const onnx::TensorProto& a, const onnx::TensorProto& b) {
  const at::Tensor x = graph::from_onnx_tensor(a).contiguous();
  const at::Tensor y = graph::from_onnx_tensor(b).contiguous();
  if (x.scalar_type() != y.scalar_type() || x.sizes() != y.sizes()) return false;
  return x.numel() == 0 || std::memcmp(x.data_ptr(), y.data_ptr(), x.nbytes()) == 0;
}

}  // namespace

InitializerDiff compare_initializers(const onnx::ModelProto& reference, const onnx::ModelProto& deployed) {
  std::map<std::string, const onnx::TensorProto*> wanted;
  for (const auto& t : reference.graph().initializer()) wanted[t.name()] = &t;
  InitializerDiff d;
  std::set<std::string> seen;
  for (const auto& t : deployed.graph().initializer()) {
    ++d.total;
    seen.insert(t.name());
    const auto it = wanted.find(t.name());
    if (it == wanted.end()) {
      d.only_deployed.push_back(t.name());
    } else if (same_bytes(*it->second, t)) {
      ++d.identical;
    } else {
      d.differing.push_back(t.name());
    }
  }
  for (const auto& t : reference.graph().initializer()) {
    if (!seen.count(t.name())) d.only_reference.push_back(t.name());
  }
  return d;
}

}  // namespace qat::exporter
