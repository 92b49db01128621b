// The Q/DQ nodes and initializers a profile adds to the FP32 ONNX model (private to
// export/): nodes are placed relative to graph nodes so that the result stays
// topologically sorted, and reader edges are rewired to dequantized values.
#pragma once

#include <onnx/onnx_pb.h>

#include <ATen/ATen.h>

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "qat/graph/graph.h"
#include "qat/quant/quant_spec.h"

namespace qat::exporter::detail {

/// The scale/zero-point tensors of a point: [C] per channel, 0-d per tensor. With
/// `as_uint8` a signed 8-bit point moves to the uint8 grid (q + 128, zero point + 128):
/// the same real values, the same saturation.
std::pair<at::Tensor, at::Tensor> qparam_tensors(const quant::QParams& qp, bool per_channel, bool as_uint8);

struct QdqRewrite {
  explicit QdqRewrite(onnx::GraphProto& graph) : g(graph) {}

  onnx::GraphProto& g;
  std::vector<onnx::NodeProto> front;                           // before every node (graph inputs)
  std::map<std::string, std::vector<onnx::NodeProto>> before;  // node → emitted just before it
  std::map<std::string, std::vector<onnx::NodeProto>> after;   // node → emitted just after it
  std::map<std::pair<std::string, size_t>, std::string> rewired;
  std::set<std::string> dropped_initializers;

  /// `value` → value/QuantizeLinear → value/DequantizeLinear, right after its producer.
  /// Returns the dequantized value.
  std::string add_pair(const graph::Graph& graph, const std::string& value, const at::Tensor& scale,
                       const at::Tensor& zp, int64_t axis);

  /// A constant `name` stored as `q` → name/DequantizeLinear, just before `reader`.
  std::string add_constant(const std::string& name, const at::Tensor& q, const at::Tensor& scale,
                           const at::Tensor& zp, int64_t axis, const std::string& reader);

  /// Every reader of `value` (graph outputs excepted) reads `dequantized` instead.
  void rewire_all_readers(const graph::Graph& graph, const std::string& value, const std::string& dequantized);

  /// Writes the nodes into the graph and drops FP32 constants that now live only as integers.
  void apply();
};

}  // namespace qat::exporter::detail
