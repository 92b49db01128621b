#include "qat/graph/onnx_tensor.h"

#include <onnx/onnx_pb.h>

#include "qat/core/error.h"

namespace qat::graph {

int onnx_dtype(at::ScalarType dtype) {
  switch (dtype) {
    case at::kFloat: return onnx::TensorProto::FLOAT;
    case at::kDouble: return onnx::TensorProto::DOUBLE;
    case at::kChar: return onnx::TensorProto::INT8;
    case at::kByte: return onnx::TensorProto::UINT8;
    case at::kInt: return onnx::TensorProto::INT32;
    case at::kLong: return onnx::TensorProto::INT64;
    case at::kBool: return onnx::TensorProto::BOOL;
    default: throw Error(std::string("tensor type ") + c10::toString(dtype) + " has no ONNX equivalent here");
  }
}

void to_onnx_tensor(const at::Tensor& tensor, const std::string& name, onnx::TensorProto& proto) {
  const at::Tensor t = tensor.detach().contiguous().cpu();
  proto.set_name(name);
  proto.set_data_type(onnx_dtype(t.scalar_type()));
  for (int64_t d : t.sizes()) proto.add_dims(d);
  // Raw data is little-endian, as on every machine qat runs on.
  proto.set_raw_data(std::string(static_cast<const char*>(t.data_ptr()), t.numel() * t.element_size()));
}

}  // namespace qat::graph
