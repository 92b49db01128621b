// Writes the student as an explicit QuantizeLinear/DequantizeLinear ONNX graph:
// conditioned (BN-folded, quantized) int8 weights behind DequantizeLinear, a
// Q/DQ pair on each quantized activation edge with the trained scales, and FP32
// everywhere outside the region. Node names are preserved. docs/export.md.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "qat/graph/graph.h"
#include "qat/quant/quantizer_set.h"

namespace onnx { class ModelProto; }

namespace qat::exporter {

struct QdqExportOptions {
  int opset = 13;  ///< 13 to 17
  /// An export profile's registry name (export_profile.h): tensorrt | ort. The student's
  /// plan must come from the same profile's placement.
  std::string profile = "tensorrt";
  std::map<std::string, std::string> metadata;
};

/// The Q/DQ model: every plan point as its profile writes it. Throws qat::Error when the
/// target cannot take a quantizer (ExportProfile::validate) or the profile is unknown.
onnx::ModelProto to_qdq_onnx(const graph::Graph& graph, const quant::QuantizerSet& quantizers,
                             const QdqExportOptions& options);

/// to_qdq_onnx + ONNX checker and shape inference + atomic write.
void export_qdq_onnx(const graph::Graph& graph, const quant::QuantizerSet& quantizers, const std::string& path,
                     const QdqExportOptions& options);

}  // namespace qat::exporter
