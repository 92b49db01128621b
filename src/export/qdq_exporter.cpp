#include "qat/export/qdq_exporter.h"

#include <onnx/onnx_pb.h>

#include <set>

#include "qat/core/error.h"
#include "qat/export/onnx_exporter.h"
#include "qat/graph/onnx_tensor.h"
#include "qat/quant/quantize.h"

namespace qat::exporter {
namespace {

void add_initializer(onnx::GraphProto& g, const std::string& name, const at::Tensor& t) {
  graph::to_onnx_tensor(t, name, *g.add_initializer());
}

// The scale/zero-point tensors of a point: [C] per channel, 0-d per tensor.
std::pair<at::Tensor, at::Tensor> qparam_tensors(const quant::QParams& qp, const quant::QuantSpec& spec) {
  at::Tensor scale = qp.scale.detach().to(at::kFloat).contiguous();
  at::Tensor zp = qp.zero_point.to(at::kChar).contiguous();
  if (!spec.per_channel()) {
    scale = scale.reshape({});
    zp = zp.reshape({});
  }
  return {scale, zp};
}

onnx::NodeProto make_node(const std::string& name, const std::string& op, const std::vector<std::string>& inputs,
                          const std::string& output, int64_t axis) {
  onnx::NodeProto n;
  n.set_name(name);
  n.set_op_type(op);
  for (const auto& i : inputs) n.add_input(i);
  n.add_output(output);
  if (axis >= 0) {
    auto* a = n.add_attribute();
    a->set_name("axis");
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(axis);
  }
  return n;
}

}  // namespace

onnx::ModelProto to_qdq_onnx(const graph::Graph& graph, const quant::FakeQuantGraph& quantizers,
                             const QdqExportOptions& options) {
  QAT_CHECK(options.profile == "tensorrt", "export profile '", options.profile,
            "' is not supported yet (tensorrt)");
  ExportOptions base;
  base.opset = options.opset;
  base.metadata = options.metadata;
  base.metadata["qat.profile"] = options.profile;
  onnx::ModelProto model = to_onnx(graph, base);
  onnx::GraphProto& g = *model.mutable_graph();

  const auto qparams = quantizers.qparams();
  // Edge (node, input) → the dequantized value that replaces its input; Q/DQ nodes
  // are emitted just before the first node that reads them (topological order).
  std::map<std::pair<std::string, size_t>, std::string> rewired;
  std::map<std::string, std::vector<onnx::NodeProto>> before;  // node name → Q/DQ nodes to emit first
  std::set<std::string> dropped_initializers;
  for (const auto& p : quantizers.plan().points) {
    const quant::QParams& qp = qparams.at(p.value);
    const auto& spec = p.spec;
    QAT_CHECK(spec.bits == 8, "tensorrt takes 8-bit quantization only: '", p.value, "' has ", spec.bits, " bits");
    QAT_CHECK(qp.zero_point.abs().max().item<int64_t>() == 0, "tensorrt needs symmetric quantization: '", p.value,
              "' has zero point ", qp.zero_point.abs().max().item<int64_t>());
    const auto [scale, zp] = qparam_tensors(qp, spec);
    const int64_t axis = spec.per_channel() ? spec.axis : -1;
    add_initializer(g, p.value + "/scale", scale);
    add_initializer(g, p.value + "/zero_point", zp);
    const std::string dequantized = p.value + "/dequantized";
    std::vector<onnx::NodeProto> nodes;
    if (p.is_weight) {
      // The conditioned weights: exactly the integers the fake quantizer trained with.
      const at::Tensor q = quant::quantize(graph.initializer(p.value).detach(), qp, spec).to(at::kChar);
      add_initializer(g, p.value + "/quantized", q);
      dropped_initializers.insert(p.value);
      nodes.push_back(make_node(p.value + "/DequantizeLinear", "DequantizeLinear",
                                {p.value + "/quantized", p.value + "/scale", p.value + "/zero_point"}, dequantized,
                                axis));
    } else {
      nodes.push_back(make_node(p.value + "/QuantizeLinear", "QuantizeLinear",
                                {p.value, p.value + "/scale", p.value + "/zero_point"}, p.value + "/quantized", axis));
      nodes.push_back(make_node(p.value + "/DequantizeLinear", "DequantizeLinear",
                                {p.value + "/quantized", p.value + "/scale", p.value + "/zero_point"}, dequantized,
                                axis));
    }
    // Emit before the earliest consumer edge in graph order.
    std::string first;
    for (const auto& n : graph.nodes()) {
      for (const auto& [node, input] : p.edges) {
        if (n.name == node && first.empty()) first = node;
      }
    }
    for (auto& n : nodes) before[first].push_back(std::move(n));
    for (const auto& edge : p.edges) rewired[edge] = dequantized;
  }

  // Rebuild the node list with Q/DQ nodes in place and quantized edges rewired.
  std::vector<onnx::NodeProto> original(g.node().begin(), g.node().end());
  g.clear_node();
  for (auto& n : original) {
    for (auto& q : before[n.name()]) *g.add_node() = q;
    for (int i = 0; i < n.input_size(); ++i) {
      auto it = rewired.find({n.name(), static_cast<size_t>(i)});
      if (it != rewired.end()) n.set_input(i, it->second);
    }
    *g.add_node() = n;
  }
  // FP32 weights that now live only as int8 are dropped.
  std::vector<onnx::TensorProto> inits(g.initializer().begin(), g.initializer().end());
  g.clear_initializer();
  for (auto& t : inits) {
    bool used = !dropped_initializers.count(t.name());
    if (!used) {
      for (const auto& n : g.node()) {
        for (const auto& in : n.input()) used |= in == t.name();
      }
    }
    if (used) *g.add_initializer() = t;
  }
  return model;
}

void export_qdq_onnx(const graph::Graph& graph, const quant::FakeQuantGraph& quantizers, const std::string& path,
                     const QdqExportOptions& options) {
  onnx::ModelProto model = to_qdq_onnx(graph, quantizers, options);
  write_checked_onnx(model, path);
}

}  // namespace qat::exporter
