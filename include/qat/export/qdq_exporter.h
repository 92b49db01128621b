// Writes the student as an explicit QuantizeLinear/DequantizeLinear ONNX graph:
// conditioned (BN-folded, quantized) int8 weights behind DequantizeLinear, a
// Q/DQ pair on each quantized activation edge with the trained scales, and FP32
// everywhere outside the region. Node names are preserved. docs/export.md.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "qat/graph/executor.h"
#include "qat/graph/graph.h"
#include "qat/quant/fake_quant_graph.h"

namespace onnx { class ModelProto; }

namespace qat::exporter {

struct QdqExportOptions {
  int opset = 13;  ///< 13 to 17
  /// tensorrt: Q/DQ at the inputs of quantized ops, zero points 0, float biases.
  /// ort: also Q/DQ on each quantized Conv's output and int32 Conv biases, uint8
  /// activations (the groups ONNX Runtime fuses into QLinearConv).
  std::string profile = "tensorrt";
  std::map<std::string, std::string> metadata;
  /// ort: per-tensor qparams (grid ort_output_spec()) of every value ort_output_values lists.
  std::map<std::string, quant::QParams> output_qparams;
};

/// The Q/DQ model. Throws qat::Error when the target cannot take a quantizer
/// (any profile: a width other than 8 bits; tensorrt: a nonzero zero point;
/// ort: a missing output_qparams entry).
onnx::ModelProto to_qdq_onnx(const graph::Graph& graph, const quant::FakeQuantGraph& quantizers,
                             const QdqExportOptions& options);

/// to_qdq_onnx + ONNX checker and shape inference + atomic write.
void export_qdq_onnx(const graph::Graph& graph, const quant::FakeQuantGraph& quantizers, const std::string& path,
                     const QdqExportOptions& options);

/// The values the ort profile needs output qparams for: the outputs of the plan's
/// quantized Conv nodes that are not planned activations themselves, in graph order.
std::vector<std::string> ort_output_values(const graph::Graph& graph, const quant::QuantPlan& plan);

/// The grid of the ort profile's Conv-output quantizers: 8-bit signed, per tensor,
/// asymmetric (a Conv output before its activation function is rarely centred on 0).
quant::QuantSpec ort_output_spec();

/// Min/max-observes `values` (tapped through `executor.run`) over `batches` and returns
/// their ort_output_spec() qparams. Run it with the fake quantizers attached and frozen
/// so that the observers see what the deployed graph computes. Throws qat::Error for no
/// batches or an unknown value.
std::map<std::string, quant::QParams> calibrate_output_qparams(const graph::Executor& executor,
                                                               const std::vector<std::string>& values,
                                                               const std::vector<graph::ValueMap>& batches);

/// The libtorch image of the ort profile: besides the planned fake quantizers already
/// attached, every reader of each value in `output_qparams` sees it fake-quantized on
/// ort_output_spec() (replacing an earlier transform on that edge).
void attach_ort_output_quantizers(graph::Executor& executor, const graph::Graph& graph,
                                  const std::map<std::string, quant::QParams>& output_qparams);

}  // namespace qat::exporter
