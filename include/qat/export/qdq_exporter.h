// Writes the student as an explicit QuantizeLinear/DequantizeLinear ONNX graph:
// conditioned (BN-folded, quantized) int8 weights behind DequantizeLinear, a
// Q/DQ pair on each quantized activation edge with the trained scales, and FP32
// everywhere outside the region. Node names are preserved.
#pragma once

#include <map>
#include <string>

#include "qat/graph/graph.h"
#include "qat/quant/fake_quant_graph.h"

namespace onnx { class ModelProto; }

namespace qat::exporter {

struct QdqExportOptions {
  int opset = 13;                      ///< 13 to 17
  std::string profile = "tensorrt";    ///< tensorrt: Q/DQ at the inputs of quantized ops, zero points 0
  std::map<std::string, std::string> metadata;
};

/// The Q/DQ model. Throws qat::Error when the target cannot take a quantizer
/// (tensorrt: a nonzero zero point or a width other than 8 bits).
onnx::ModelProto to_qdq_onnx(const graph::Graph& graph, const quant::FakeQuantGraph& quantizers,
                             const QdqExportOptions& options);

/// to_qdq_onnx + ONNX checker and shape inference + atomic write.
void export_qdq_onnx(const graph::Graph& graph, const quant::FakeQuantGraph& quantizers, const std::string& path,
                     const QdqExportOptions& options);

}  // namespace qat::exporter
