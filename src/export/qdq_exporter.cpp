#include "qat/export/qdq_exporter.h"

#include <onnx/onnx_pb.h>

#include <limits>
#include <memory>
#include <set>

#include "qat/core/did_you_mean.h"
#include "qat/core/error.h"
#include "qat/export/onnx_exporter.h"
#include "qat/graph/onnx_tensor.h"
#include "qat/graph/op_traits.h"
#include "qat/graph/weight_source.h"
#include "qat/quant/fake_quantizer.h"
#include "qat/quant/minmax_observer.h"
#include "qat/quant/quantize.h"

namespace qat::exporter {
namespace {

void add_initializer(onnx::GraphProto& g, const std::string& name, const at::Tensor& t) {
  graph::to_onnx_tensor(t, name, *g.add_initializer());
}

// The scale/zero-point tensors of a point: [C] per channel, 0-d per tensor. With
// `as_uint8` a signed 8-bit point moves to the uint8 grid (q + 128, zero point + 128):
// the same real values, the same saturation.
std::pair<at::Tensor, at::Tensor> qparam_tensors(const quant::QParams& qp, bool per_channel, bool as_uint8) {
  at::Tensor scale = qp.scale.detach().to(at::kFloat).contiguous();
  at::Tensor zp = as_uint8 ? (qp.zero_point.to(at::kInt) + 128).to(at::kByte) : qp.zero_point.to(at::kChar);
  zp = zp.contiguous();
  if (!per_channel) {
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

// The Q/DQ nodes and initializers added to the FP32 model, and the edges rewired
// to read a dequantized value. Nodes are placed relative to graph nodes so that the
// result stays topologically sorted.
struct QdqRewrite {
  explicit QdqRewrite(onnx::GraphProto& graph) : g(graph) {}

  onnx::GraphProto& g;
  std::vector<onnx::NodeProto> front;                           // before every node (graph inputs)
  std::map<std::string, std::vector<onnx::NodeProto>> before;  // node → emitted just before it
  std::map<std::string, std::vector<onnx::NodeProto>> after;   // node → emitted just after it
  std::map<std::pair<std::string, size_t>, std::string> rewired;
  std::set<std::string> dropped_initializers;

  // `value` → value/QuantizeLinear → value/DequantizeLinear, right after its producer.
  // Returns the dequantized value.
  std::string add_pair(const graph::Graph& graph, const std::string& value, const at::Tensor& scale,
                       const at::Tensor& zp, int64_t axis) {
    add_initializer(g, value + "/scale", scale);
    add_initializer(g, value + "/zero_point", zp);
    const std::string dequantized = value + "/dequantized";
    const graph::Node* producer = graph.producer(value);
    auto& list = producer ? after[producer->name] : front;
    list.push_back(make_node(value + "/QuantizeLinear", "QuantizeLinear",
                             {value, value + "/scale", value + "/zero_point"}, value + "/quantized", axis));
    list.push_back(make_node(value + "/DequantizeLinear", "DequantizeLinear",
                             {value + "/quantized", value + "/scale", value + "/zero_point"}, dequantized, axis));
    return dequantized;
  }

  // A constant `name` stored as `q` → name/DequantizeLinear, just before `reader`.
  std::string add_constant(const std::string& name, const at::Tensor& q, const at::Tensor& scale,
                           const at::Tensor& zp, int64_t axis, const std::string& reader) {
    add_initializer(g, name + "/quantized", q);
    add_initializer(g, name + "/scale", scale);
    add_initializer(g, name + "/zero_point", zp);
    dropped_initializers.insert(name);
    const std::string dequantized = name + "/dequantized";
    before[reader].push_back(make_node(name + "/DequantizeLinear", "DequantizeLinear",
                                       {name + "/quantized", name + "/scale", name + "/zero_point"}, dequantized,
                                       axis));
    return dequantized;
  }

  // Every reader of `value` (graph outputs excepted) reads `dequantized` instead.
  void rewire_all_readers(const graph::Graph& graph, const std::string& value, const std::string& dequantized) {
    for (const graph::Node* reader : graph.consumers(value)) {
      for (size_t i = 0; i < reader->inputs.size(); ++i) {
        if (reader->inputs[i] == value) rewired[{reader->name, i}] = dequantized;
      }
    }
  }

  void apply() {
    std::vector<onnx::NodeProto> original(g.node().begin(), g.node().end());
    g.clear_node();
    for (auto& q : front) *g.add_node() = q;
    for (auto& n : original) {
      for (auto& q : before[n.name()]) *g.add_node() = q;
      for (int i = 0; i < n.input_size(); ++i) {
        auto it = rewired.find({n.name(), static_cast<size_t>(i)});
        if (it != rewired.end()) n.set_input(i, it->second);
      }
      *g.add_node() = n;
      for (auto& q : after[n.name()]) *g.add_node() = q;
    }
    // FP32 constants that now live only as integers are dropped.
    std::set<std::string> used;
    for (const auto& n : g.node()) used.insert(n.input().begin(), n.input().end());
    std::vector<onnx::TensorProto> inits(g.initializer().begin(), g.initializer().end());
    g.clear_initializer();
    for (auto& t : inits) {
      if (!dropped_initializers.count(t.name()) || used.count(t.name())) *g.add_initializer() = t;
    }
  }
};

int64_t max_abs_zero_point(const quant::QParams& qp) { return qp.zero_point.abs().max().item<int64_t>(); }

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
                QdqRewrite& rewrite) {
  const std::pair<at::Tensor, at::Tensor> qparams = qparam_tensors(qp, p.spec.per_channel(), false);
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

quant::QuantSpec ort_output_spec() {
  quant::QuantSpec spec;
  spec.bits = 8;
  spec.is_signed = true;
  spec.symmetric = false;
  return spec;
}

std::vector<std::string> ort_output_values(const graph::Graph& graph, const quant::QuantPlan& plan) {
  std::set<std::string> planned;
  for (const auto& p : plan.points) {
    if (!p.is_weight) planned.insert(p.value);
  }
  const std::set<std::string> quantized(plan.quantized_nodes.begin(), plan.quantized_nodes.end());
  std::vector<std::string> values;
  for (const auto& n : graph.nodes()) {
    if (graph::op_traits(n.op_type).ort_integer_output && quantized.count(n.name) && !planned.count(n.outputs[0])) {
      values.push_back(n.outputs[0]);
    }
  }
  return values;
}

std::map<std::string, quant::QParams> calibrate_output_qparams(const graph::Executor& executor,
                                                               const std::vector<std::string>& values,
                                                               const std::vector<graph::ValueMap>& batches) {
  QAT_CHECK(!batches.empty(), "calibrating output qparams needs at least one batch");
  const quant::QuantSpec spec = ort_output_spec();
  std::vector<std::unique_ptr<quant::MinMaxObserver>> observers;
  for (size_t i = 0; i < values.size(); ++i) observers.push_back(std::make_unique<quant::MinMaxObserver>(spec));
  at::NoGradGuard no_grad;
  for (const auto& batch : batches) {
    const auto out = executor.run(batch, values);
    for (size_t i = 0; i < values.size(); ++i) observers[i]->observe(out.at(values[i]));
  }
  std::map<std::string, quant::QParams> qparams;
  for (size_t i = 0; i < values.size(); ++i) qparams[values[i]] = observers[i]->compute(spec);
  return qparams;
}

onnx::ModelProto to_qdq_onnx(const graph::Graph& graph, const quant::FakeQuantGraph& quantizers,
                             const QdqExportOptions& options) {
  const bool ort = options.profile == "ort";
  QAT_CHECK(ort || options.profile == "tensorrt", "export profile '", options.profile,
            "' is not supported (tensorrt, ort)");
  ExportOptions base;
  base.opset = options.opset;
  base.metadata = options.metadata;
  base.metadata["qat.profile"] = options.profile;
  onnx::ModelProto model = to_onnx(graph, base);
  QdqRewrite rewrite(*model.mutable_graph());

  const auto qparams = quantizers.qparams();
  const quant::QuantPlan& plan = quantizers.plan();
  std::map<std::string, std::string> dequantized_activation;  // planned activation → its DQ output
  std::map<std::pair<std::string, size_t>, const quant::QuantPoint*> point_of_edge;
  for (const auto& p : plan.points) {
    const quant::QParams& qp = qparams.at(p.value);
    const auto& spec = p.spec;
    QAT_CHECK(spec.bits == 8, options.profile, " takes 8-bit quantization only: '", p.value, "' has ", spec.bits,
              " bits");
    QAT_CHECK(ort || max_abs_zero_point(qp) == 0, "tensorrt needs symmetric quantization: '", p.value,
              "' has zero point ", max_abs_zero_point(qp));
    const int64_t axis = spec.per_channel() ? spec.axis : -1;
    for (const auto& edge : p.edges) point_of_edge[edge] = &p;
    if (p.is_weight) {
      add_weight(graph, p, qp, axis, rewrite);
      continue;
    }
    // ONNX Runtime's x86 integer convolution takes uint8 activations (docs/export.md).
    const auto [scale, zp] = qparam_tensors(qp, spec.per_channel(), ort);
    const std::string dequantized = rewrite.add_pair(graph, p.value, scale, zp, axis);
    dequantized_activation[p.value] = dequantized;
    for (const auto& edge : p.edges) rewrite.rewired[edge] = dequantized;
  }

  if (ort) {
    for (const auto& name : plan.quantized_nodes) {
      const graph::Node& conv = *graph.find_node(name);
      const graph::OpTraits& traits = graph::op_traits(conv.op_type);
      if (!traits.ort_integer_output) continue;
      // Output: DQ → Conv → Q, with every reader behind the DQ.
      const std::string& out = conv.outputs[0];
      auto planned = dequantized_activation.find(out);
      if (planned != dequantized_activation.end()) {
        rewrite.rewire_all_readers(graph, out, planned->second);
      } else {
        auto it = options.output_qparams.find(out);
        QAT_CHECK(it != options.output_qparams.end(), "the ort profile needs output qparams for Conv '", name,
                  "' (value '", out, "'): see calibrate_output_qparams");
        QAT_CHECK(it->second.scale.numel() == 1 && it->second.zero_point.numel() == 1,
                  "output qparams of '", out, "' must be per tensor");
        const auto [scale, zp] = qparam_tensors(it->second, false, true);
        rewrite.rewire_all_readers(graph, out, rewrite.add_pair(graph, out, scale, zp, -1));
      }
      // Bias: int32 on the accumulator's grid, scale input_scale * weight_scale, zero point 0.
      if (!traits.bias_input) continue;
      const size_t bi = *traits.bias_input;
      if (conv.inputs.size() <= bi || conv.inputs[bi].empty() || !graph.has_initializer(conv.inputs[bi])) continue;
      auto input_point = point_of_edge.find({name, 0});
      auto weight_point = point_of_edge.find({name, *traits.weight_input});
      if (input_point == point_of_edge.end() || weight_point == point_of_edge.end()) continue;
      const auto& in_qp = qparams.at(input_point->second->value);
      const auto& w_qp = qparams.at(weight_point->second->value);
      const at::Tensor scale = (in_qp.scale.to(at::kFloat) * w_qp.scale.to(at::kFloat)).reshape({-1}).contiguous();
      const std::string& bias_name = conv.inputs[bi];
      const at::Tensor bias = graph.initializer(bias_name).detach().to(at::kFloat).reshape({-1});
      // Half to even, as ONNX QuantizeLinear; the division in double so the int32 is the nearest one.
      const at::Tensor q = (bias.to(at::kDouble) / scale.to(at::kDouble))
                               .round()
                               .clamp(std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max())
                               .to(at::kInt)
                               .contiguous();
      const bool per_channel = scale.numel() > 1;
      const at::Tensor bias_scale = per_channel ? scale : scale.reshape({});
      const at::Tensor zp = per_channel ? at::zeros({scale.numel()}, at::kInt) : at::zeros({}, at::kInt);
      // A bias several Convs share (a reused head) gets one int32 copy per Conv: each has its own input scale.
      const std::string int32_name = graph.consumers(bias_name).size() == 1 ? bias_name : name + "/bias";
      rewrite.rewired[{name, bi}] = rewrite.add_constant(int32_name, q, bias_scale, zp, per_channel ? 0 : -1, name);
      rewrite.dropped_initializers.insert(bias_name);
    }
  }
  rewrite.apply();
  return model;
}

void export_qdq_onnx(const graph::Graph& graph, const quant::FakeQuantGraph& quantizers, const std::string& path,
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

void attach_ort_output_quantizers(graph::Executor& executor, const graph::Graph& graph,
                                  const std::map<std::string, quant::QParams>& output_qparams) {
  for (const auto& [value, qp] : output_qparams) {
    for (const graph::Node* reader : graph.consumers(value)) {
      for (size_t i = 0; i < reader->inputs.size(); ++i) {
        if (reader->inputs[i] != value) continue;
        executor.set_edge_transform(reader->name, i, [qp = qp](const at::Tensor& x) {
          return quant::fake_quantize(x, qp, ort_output_spec());
        });
      }
    }
  }
}

}  // namespace qat::exporter
