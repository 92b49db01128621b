// Conversion between ATen tensors and ONNX TensorProto (exporter and importer).
#pragma once

#include <ATen/ATen.h>

#include <string>

namespace onnx { class TensorProto; }

namespace qat::graph {

/// Fills `proto` with `tensor` (float32, float64, int8, uint8, int32, int64) as raw data.
void to_onnx_tensor(const at::Tensor& tensor, const std::string& name, onnx::TensorProto& proto);

/// The ONNX element type code of an ATen dtype; throws qat::Error for unsupported ones.
int onnx_dtype(at::ScalarType dtype);

}  // namespace qat::graph
