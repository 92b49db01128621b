// Conversion between ATen tensors and ONNX TensorProto (exporter and importer).
#pragma once

#include <ATen/ATen.h>

#include <string>

#include "qat/graph/attributes.h"

namespace onnx {
class AttributeProto;
class TensorProto;
}  // namespace onnx

namespace qat::graph {

/// Fills `proto` with `tensor` (float32, float64, int8, uint8, int32, int64) as raw data.
void to_onnx_tensor(const at::Tensor& tensor, const std::string& name, onnx::TensorProto& proto);

/// Fills `proto` with attribute `name` (the inverse of the importer's reading).
void to_onnx_attribute(const std::string& name, const Attribute& value, onnx::AttributeProto& proto);

/// The ONNX element type code of an ATen dtype; throws qat::Error for unsupported ones.
int onnx_dtype(at::ScalarType dtype);

/// The ATen dtype of an ONNX element type code (float32, float64, int8, uint8,
/// int16, int32, int64, bool); throws qat::Error naming the type for others.
at::ScalarType aten_dtype(int onnx_type);

/// A tensor holding `proto`'s data (raw_data or the typed fields), a copy that
/// owns its memory. Throws qat::Error for unsupported element types and for data
/// whose size does not match the dims; external data is not supported.
at::Tensor from_onnx_tensor(const onnx::TensorProto& proto);

}  // namespace qat::graph
