#include "qat/graph/onnx_importer.h"

#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include <algorithm>
#include <fstream>
#include <set>

#include "qat/core/error.h"
#include "qat/graph/fold_constants.h"
#include "qat/graph/onnx_tensor.h"
#include "qat/graph/op_registry.h"

namespace qat::graph {
namespace {

std::string node_label(const std::string& name) { return "node '" + name + "'"; }

bool is_default_domain(const std::string& domain) { return domain.empty() || domain == "ai.onnx"; }

int default_opset(const onnx::ModelProto& model, const std::string& where) {
  for (const auto& op : model.opset_import()) {
    if (is_default_domain(op.domain())) return static_cast<int>(op.version());
  }
  throw IoError(where, "", "the model imports no ai.onnx opset");
}

// Rejects the model when any node's op is not in the registry, naming the first
// such node and every unsupported op type (a short list, never the registry).
void check_ops(const onnx::GraphProto& g, const std::string& where) {
  const auto& registry = op_registry();
  std::vector<std::string> unsupported;
  std::string first_node;
  for (int i = 0; i < g.node_size(); ++i) {
    const auto& n = g.node(i);
    const std::string op = is_default_domain(n.domain()) ? n.op_type() : n.domain() + "." + n.op_type();
    if (is_default_domain(n.domain()) && registry.contains(op)) continue;
    if (first_node.empty()) first_node = n.name().empty() ? n.op_type() + "_" + std::to_string(i) : n.name();
    if (std::find(unsupported.begin(), unsupported.end(), op) == unsupported.end()) unsupported.push_back(op);
  }
  if (unsupported.empty()) return;
  std::string message = "unsupported op '" + unsupported[0] + "'";
  if (unsupported.size() > 1) {
    message += "; the model also uses unsupported ";
    for (size_t i = 1; i < unsupported.size() && i <= 8; ++i) message += (i > 1 ? ", " : "") + unsupported[i];
    if (unsupported.size() > 9) message += ", ... (" + std::to_string(unsupported.size()) + " in all)";
  }
  throw IoError(where, node_label(first_node), message);
}

Attribute to_attribute(const onnx::AttributeProto& a) {
  switch (a.type()) {
    case onnx::AttributeProto::INT: return a.i();
    case onnx::AttributeProto::FLOAT: return static_cast<double>(a.f());
    case onnx::AttributeProto::STRING: return a.s();
    case onnx::AttributeProto::INTS: return std::vector<int64_t>(a.ints().begin(), a.ints().end());
    case onnx::AttributeProto::FLOATS: return std::vector<double>(a.floats().begin(), a.floats().end());
    case onnx::AttributeProto::TENSOR: return from_onnx_tensor(a.t());
    default:
      throw Error("attribute '" + a.name() + "' is of type " + onnx::AttributeProto::AttributeType_Name(a.type()) +
                  ", which is not supported");
  }
}

ValueInfo to_value_info(const onnx::ValueInfoProto& v) {
  ValueInfo info{v.name(), {}, at::kFloat};
  if (!v.type().has_tensor_type()) throw Error("value '" + v.name() + "' is not a tensor");
  const auto& t = v.type().tensor_type();
  info.dtype = aten_dtype(t.elem_type());
  if (t.has_shape()) {
    for (const auto& d : t.shape().dim()) info.shape.push_back(d.has_dim_value() ? d.dim_value() : -1);
  }
  return info;
}

// Shapes ONNX shape inference finds for every value (-1 for symbolic dims);
// inference errors only mean fewer shapes, so fewer Shape nodes fold.
StaticShapes infer_shapes(const onnx::ModelProto& model) {
  onnx::ModelProto copy = model;
  try {
    onnx::ShapeInferenceOptions lenient(/*check_type=*/false, /*error_mode=*/0, /*data_prop=*/false);
    onnx::shape_inference::InferShapes(copy, onnx::OpSchemaRegistry::Instance(), lenient);
  } catch (const std::exception&) {
  }
  StaticShapes shapes;
  auto add = [&](const onnx::ValueInfoProto& v) {
    if (!v.type().has_tensor_type() || !v.type().tensor_type().has_shape()) return;
    std::vector<int64_t> dims;
    for (const auto& d : v.type().tensor_type().shape().dim()) dims.push_back(d.has_dim_value() ? d.dim_value() : -1);
    shapes[v.name()] = dims;
  };
  for (const auto& v : copy.graph().input()) add(v);
  for (const auto& v : copy.graph().value_info()) add(v);
  for (const auto& v : copy.graph().output()) add(v);
  return shapes;
}

// Inputs at these positions are statistics or configuration, never trained (OpTraits).
bool is_constant_slot(const std::string& op, size_t index) { return op_traits(op).is_constant_input(index); }

// Unique names for unnamed (or duplicate) nodes: "<OpType>_<index>", suffixed on clashes.
std::vector<std::string> node_names(const onnx::GraphProto& g) {
  std::set<std::string> explicit_names, taken;
  for (const auto& n : g.node()) explicit_names.insert(n.name());
  std::vector<std::string> names;
  for (int i = 0; i < g.node_size(); ++i) {
    const std::string& given = g.node(i).name();
    std::string name = given.empty() ? g.node(i).op_type() + "_" + std::to_string(i) : given;
    const std::string base = name;
    for (int k = 1; taken.count(name) || (given.empty() && explicit_names.count(name)); ++k) {
      name = base + "_" + std::to_string(k);
    }
    taken.insert(name);
    names.push_back(name);
  }
  return names;
}

// Before opset 13 some constant operands were attributes; the IR takes them as inputs.
void attribute_to_input(Node& node, Graph& graph, const std::string& attr, size_t index) {
  if (!node.attrs.has(attr)) return;
  std::string value = node.name + "." + attr;
  while (graph.has_initializer(value)) value += "_";
  graph.set_initializer(value, at::tensor(node.attrs.get_ints(attr, {}), at::kLong));
  node.attrs.erase(attr);
  if (node.inputs.size() <= index) node.inputs.resize(index + 1);
  node.inputs[index] = value;
}

void normalize_before_opset13(Node& node, Graph& graph, const StaticShapes& shapes) {
  const std::string& op = node.op_type;
  if (op == "Squeeze" || op == "Unsqueeze" || op == "ReduceSum") attribute_to_input(node, graph, "axes", 1);
  if (op == "Split") attribute_to_input(node, graph, "split", 1);
  if (op == "Softmax") {
    // Softmax-11 flattens to 2-D at `axis` (default 1); on the last axis that is Softmax-13's.
    const int64_t axis = node.attrs.get_int("axis", 1);
    auto it = shapes.find(node.inputs.at(0));
    const int64_t rank = it == shapes.end() ? -1 : static_cast<int64_t>(it->second.size());
    if (axis != -1 && (rank < 0 || (axis != rank - 1 && axis + rank != rank - 1))) {
      throw Error("Softmax before opset 13 is supported over the last axis only (axis " + std::to_string(axis) +
                  (rank < 0 ? std::string(" of an input of unknown rank") : " of a rank-" + std::to_string(rank) +
                                                                                " input") + ")");
    }
    node.attrs.set("axis", int64_t{-1});
  }
}

// Inputs such as Resize's roi and scales may be empty tensors standing for "not given".
void normalize_after_folding(Graph& graph) {
  for (auto& node : graph.nodes()) {
    for (const size_t i : op_traits(node.op_type).empty_means_omitted) {
      if (i >= node.inputs.size()) continue;
      const std::string& in = node.inputs[i];
      if (!in.empty() && graph.has_initializer(in) && graph.initializer(in).numel() == 0) node.inputs[i] = "";
    }
  }
}

Graph convert(const onnx::ModelProto& model, const std::string& where, const ImportOptions& options) {
  if (!model.has_graph() || model.ir_version() <= 0) throw IoError(where, "", "not an ONNX model");
  const int opset = default_opset(model, where);
  if (opset < kMinImportOpset || opset > kMaxImportOpset) {
    throw IoError(where, "", "opset " + std::to_string(opset) + " is not supported (" +
                                 std::to_string(kMinImportOpset) + " to " + std::to_string(kMaxImportOpset) +
                                 "); export with opset_version=13");
  }
  const onnx::GraphProto& g = model.graph();
  check_ops(g, where);
  const StaticShapes shapes = infer_shapes(model);

  Graph graph;
  std::set<std::string> constant_slot, other_slot;  // how nodes read each value
  for (const auto& n : g.node()) {
    for (int i = 0; i < n.input_size(); ++i) {
      (is_constant_slot(n.op_type(), static_cast<size_t>(i)) ? constant_slot : other_slot).insert(n.input(i));
    }
  }
  for (const auto& init : g.initializer()) {
    try {
      const at::Tensor t = from_onnx_tensor(init);
      const bool trainable = t.scalar_type() == at::kFloat && !constant_slot.count(init.name());
      graph.set_initializer(init.name(), t, trainable);
    } catch (const Error& e) {
      throw IoError(where, "initializer '" + init.name() + "'", e.message());
    }
  }
  for (const auto& in : g.input()) {
    if (graph.has_initializer(in.name())) continue;  // IR < 4 lists initializers as inputs too
    try {
      graph.add_input(to_value_info(in));
    } catch (const Error& e) {
      throw IoError(where, "input '" + in.name() + "'", e.message());
    }
  }
  const auto names = node_names(g);
  for (int i = 0; i < g.node_size(); ++i) {
    const auto& n = g.node(i);
    Node node{names[i], n.op_type(), {n.input().begin(), n.input().end()}, {n.output().begin(), n.output().end()}, {}};
    while (!node.outputs.empty() && node.outputs.back().empty()) node.outputs.pop_back();  // omitted optional outputs
    try {
      for (const auto& a : n.attribute()) node.attrs.set(a.name(), to_attribute(a));
      if (opset < 13) normalize_before_opset13(node, graph, shapes);
    } catch (const Error& e) {
      throw IoError(where, node_label(node.name), n.op_type() + ": " + e.message());
    }
    graph.add_node(std::move(node));
  }
  for (const auto& out : g.output()) {
    try {
      graph.add_output(to_value_info(out));
    } catch (const Error& e) {
      throw IoError(where, "output '" + out.name() + "'", e.message());
    }
  }
  for (const auto& p : model.metadata_props()) graph.metadata()[p.key()] = p.value();

  try {
    graph.validate();
    if (options.fold_constants) fold_constants(graph, shapes);
  } catch (const Error& e) {
    throw IoError(where, "", e.what());
  }
  normalize_after_folding(graph);
  return graph;
}

}  // namespace

Graph import_onnx(const onnx::ModelProto& model, const std::string& where, const ImportOptions& options) {
  return convert(model, where, options);
}

Graph import_onnx(const std::string& path, const ImportOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(path, "", "cannot open the file");
  onnx::ModelProto model;
  if (!model.ParseFromIstream(&in)) throw IoError(path, "", "not an ONNX model (the protobuf does not parse)");
  return convert(model, path, options);
}

at::Tensor read_onnx_tensor(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(path, "", "cannot open the file");
  onnx::TensorProto proto;
  if (!proto.ParseFromIstream(&in)) throw IoError(path, "", "not an ONNX tensor (the protobuf does not parse)");
  try {
    return from_onnx_tensor(proto);
  } catch (const Error& e) {
    throw IoError(path, "", e.message());
  }
}

}  // namespace qat::graph
