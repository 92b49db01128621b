#include "qat/export/qdq_exporter.h"

#include <onnx/onnx_pb.h>

#include <limits>
#include <memory>
#include <set>

#include "export/qdq_rewrite.h"
#include "qat/core/did_you_mean.h"
#include "qat/core/error.h"
#include "qat/export/export_profile.h"
#include "qat/export/onnx_exporter.h"
#include "qat/graph/weight_source.h"
#include "qat/quant/quantize.h"

namespace qat::exporter {
namespace {

// The node of `names` that comes first in `graph`.
std::string first_in_graph(const graph::Graph& graph, const std::set<std::string>& names) {
  for (const auto& n : graph.nodes()) {
    if (names.count(n.name)) return n.name;
  }
  throw Error("no node of " + join(std::vector<std::string>(names.begin(), names.end())) + " is in the graph");
}

// A weight point: its readers reach the initializer directly or through see-through
// nodes (graph/weight_source.h). Readers that get the weight unchanged share ONE
// DequantizeLinear of the initializer; on a path through see-through nodes that only
// this point's edges read, the DequantizeLinear feeds the first such node (it then
// carries the dequantized weight), otherwise the reader directly. Readers that get
// the weight in another layout (a Reshape) read a DequantizeLinear of that value.
void add_weight(const graph::Graph& graph, const quant::QuantPoint& p, const quant::QParams& qp, int64_t axis,
                detail::QdqRewrite& rewrite) {
  const std::pair<at::Tensor, at::Tensor> qparams = detail::qparam_tensors(qp, p.spec.per_channel(), false);
  const std::set<std::pair<std::string, size_t>> edges(p.edges.begin(), p.edges.end());
  std::set<std::pair<std::string, size_t>> shared;                          // edges reading the shared DQ
  std::map<std::string, std::set<std::pair<std::string, size_t>>> relayout;  // reshaped value → its edges
  for (const auto& edge : p.edges) {
    const std::string& value = graph.find_node(edge.first)->inputs.at(edge.second);
    const auto source = graph::trace_weight(graph, value);
    QAT_ASSERT(source && source->initializer == p.value, "edge of '", edge.first, "' does not read weight '",
               p.value, "'");
    if (!source->same_layout) {
      relayout[value].insert(edge);
      continue;
    }
    auto target = edge;
    for (const auto& name : source->through) {
      if (graph::read_only_by(graph, graph.find_node(name)->outputs.at(0), edges)) {
        target = {name, 0};
        break;
      }
    }
    shared.insert(target);
  }
  // The conditioned weights: exactly the integers the fake quantizer trained with.
  auto dequantize = [&](const std::string& name, const at::Tensor& weight,
                        const std::set<std::pair<std::string, size_t>>& readers) {
    std::set<std::string> nodes;
    for (const auto& r : readers) nodes.insert(r.first);
    const at::Tensor q = quant::quantize(weight.detach(), qp, p.spec).to(at::kChar);
    const std::string dequantized = rewrite.add_constant(name, q, qparams.first, qparams.second, axis,
                                                           first_in_graph(graph, nodes));
    for (const auto& r : readers) rewrite.rewired[r] = dequantized;
  };
  if (!shared.empty()) dequantize(p.value, graph.initializer(p.value), shared);
  for (const auto& [value, readers] : relayout) {
    dequantize(value, graph::weight_as_read(graph, *graph::trace_weight(graph, value)), readers);
  }
}

}  // namespace

onnx::ModelProto to_qdq_onnx(const graph::Graph& graph, const quant::QuantizerSet& quantizers,
                             const QdqExportOptions& options) {
  const std::unique_ptr<ExportProfile> profile = make_export_profile(options.profile);
  const auto qparams = quantizers.qparams();
  const quant::QuantPlan& plan = quantizers.plan();
  profile->validate(graph, plan, qparams);
  const PreparedExport prepared = profile->prepare(graph, plan, qparams);

  ExportOptions base;
  base.opset = options.opset;
  base.metadata = options.metadata;
  base.metadata["qat.profile"] = profile->name();
  onnx::ModelProto model = to_onnx(graph, base);
  detail::QdqRewrite rewrite(*model.mutable_graph());
  // The plan is the placement: one Q/DQ pair per planned activation, read by the point's edges.
  for (const auto& p : plan.points) {
    const quant::QParams& qp = qparams.at(p.value);
    const int64_t axis = p.spec.per_channel() ? p.spec.axis : -1;
    if (p.is_weight) {
      add_weight(graph, p, qp, axis, rewrite);
      continue;
    }
    const auto [scale, zp] = detail::qparam_tensors(qp, p.spec.per_channel(), profile->uint8_activations());
    const std::string dequantized = rewrite.add_pair(graph, p.value, scale, zp, axis);
    for (const auto& edge : p.edges) rewrite.rewired[edge] = dequantized;
  }
  profile->rewrite(graph, prepared, rewrite);
  rewrite.apply();
  return model;
}

void export_qdq_onnx(const graph::Graph& graph, const quant::QuantizerSet& quantizers, const std::string& path,
                     const QdqExportOptions& options) {
  check_finite_weights(graph, path);
  for (const auto& [name, qp] : quantizers.qparams()) {
    if (!at::isfinite(qp.scale).all().item<bool>()) {
      throw IoError(path, name, "the quantization scale is not finite: refusing to export a diverged model");
    }
  }
  onnx::ModelProto model = to_qdq_onnx(graph, quantizers, options);
  write_checked_onnx(model, path);
}

}  // namespace qat::exporter
