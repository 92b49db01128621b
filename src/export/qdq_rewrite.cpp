#include "export/qdq_rewrite.h"

#include "qat/graph/onnx_tensor.h"

namespace qat::exporter::detail {
namespace {

void add_initializer(onnx::GraphProto& g, const std::string& name, const at::Tensor& t) {
  graph::to_onnx_tensor(t, name, *g.add_initializer());
}

onnx::NodeProto make_node(const std::string& name, const std::string& op, const std::vector<std::string>& inputs,
                          const std::string& output, int64_t axis);

}  // namespace

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

namespace {

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

std::string QdqRewrite::add_pair(const graph::Graph& graph, const std::string& value, const at::Tensor& scale,
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

std::string QdqRewrite::add_constant(const std::string& name, const at::Tensor& q, const at::Tensor& scale,
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

void QdqRewrite::rewire_all_readers(const graph::Graph& graph, const std::string& value,
                                    const std::string& dequantized) {
  for (const graph::Node* reader : graph.consumers(value)) {
    for (size_t i = 0; i < reader->inputs.size(); ++i) {
      if (reader->inputs[i] == value) rewired[{reader->name, i}] = dequantized;
    }
  }
}

void QdqRewrite::apply() {
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

}  // namespace qat::exporter::detail
