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
#include "qat/graph/op_traits.h"
#include "qat/graph/shape_inference.h"

namespace qat::graph {
namespace {

std::string node_label(const std::string& name) { return "node '" + name + "'"; }

// What the file calls node `i`: its name, or "<OpType>_<index>" when it has none.
std::string file_node_name(const onnx::GraphProto& g, int i) {
  const auto& n = g.node(i);
  return n.name().empty() ? n.op_type() + "_" + std::to_string(i) : n.name();
}

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
    if (first_node.empty()) first_node = file_node_name(g, i);
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

// Rejects a zero or negative element of an attribute the op's traits want positive
// (ONNX's shape inference would divide by it), naming the node and the attribute.
void check_positive_attributes(const onnx::GraphProto& g, const std::string& where) {
  for (int i = 0; i < g.node_size(); ++i) {
    const auto& n = g.node(i);
    const auto& wanted = op_traits(n.op_type()).positive_attributes;
    for (const auto& a : n.attribute()) {
      if (std::find(wanted.begin(), wanted.end(), a.name()) == wanted.end()) continue;
      std::vector<int64_t> values(a.ints().begin(), a.ints().end());
      if (a.type() == onnx::AttributeProto::INT) values = {a.i()};
      for (int64_t v : values) {
        if (v >= 1) continue;
        throw IoError(where, node_label(file_node_name(g, i)), n.op_type() + ": attribute " + a.name() + " has " + std::to_string(v) +
                                                   "; every element must be at least 1");
      }
    }
  }
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
StaticShapes model_shapes(const onnx::ModelProto& model) {
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
    std::string name = file_node_name(g, i);
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

bool is_softmax_family(const std::string& op) { return op == "Softmax" || op == "LogSoftmax" || op == "Hardmax"; }

// Before opset 13 Softmax, LogSoftmax and Hardmax coerce their input to 2-D at
// `axis` (default 1): over the last axis that is opset 13's form; otherwise the
// node becomes Flatten(axis) -> op(axis -1) -> Reshape(Shape(x)), exact for any
// rank, known or not (the Shape folds when x's shape is static). The op node keeps
// the original name; the Reshape writes the original output.
std::vector<Node> normalize_before_opset13(Node node, Graph& graph, const StaticShapes& shapes) {
  const std::string& op = node.op_type;
  if (op == "Squeeze" || op == "Unsqueeze" || op == "ReduceSum") attribute_to_input(node, graph, "axes", 1);
  if (op == "Split") attribute_to_input(node, graph, "split", 1);
  if (!is_softmax_family(op)) return {std::move(node)};
  const int64_t axis = node.attrs.get_int("axis", 1);
  auto it = shapes.find(node.inputs.at(0));
  const int64_t rank = it == shapes.end() ? -1 : static_cast<int64_t>(it->second.size());
  node.attrs.set("axis", int64_t{-1});
  if (axis == -1 || (rank >= 0 && (axis == rank - 1 || axis + rank == rank - 1))) return {std::move(node)};
  const std::string x = node.inputs.at(0), y = node.outputs.at(0), base = node.name;
  Node flatten{base + "/flatten", "Flatten", {x}, {base + "/flat"}, {}};
  flatten.attrs.set("axis", axis);
  Node shape{base + "/shape", "Shape", {x}, {base + "/shape_of_input"}, {}};
  node.inputs = {base + "/flat"};
  node.outputs = {base + "/out2d"};
  Node reshape{base + "/reshape", "Reshape", {base + "/out2d", base + "/shape_of_input"}, {y}, {}};
  return {std::move(flatten), std::move(node), std::move(shape), std::move(reshape)};
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

// An input whose static batch (dimension 0) the importer made symbolic.
struct DynamicBatch {
  std::string input;
  int64_t exported;  // the batch the file declares
};

bool needs_dynamic_batch(const ValueInfo& input, const BatchSize& batch) {
  if (input.shape.empty() || input.shape[0] < 0) return false;
  switch (batch.kind) {
    case BatchSize::Kind::kAsDeclared: return false;
    case BatchSize::Kind::kAny: return true;
    case BatchSize::Kind::kFixed: return batch.value != input.shape[0];
  }
  return false;
}

std::string static_batch_text(const ValueInfo& input, const BatchSize& batch) {
  return "the model is exported for batch " + std::to_string(input.shape[0]) + " and cannot run at " +
         batch.describe();
}

std::string dynamic_axes_hint(const ValueInfo& input) {
  return " (export with dynamic_axes={'" + input.name + "': {0: 'batch'}})";
}

std::string ints_text(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + (v[i] < 0 && v[i] != -1 ? "?" : std::to_string(v[i]));
  return s + "]";
}

// A static-batch export bakes its batch into Reshape targets ([1, 4, 16, 525]).
// Where the Reshape's input now has a symbolic dimension 0 and the target's first
// element is the exported batch, the element becomes 0 (copy the input's dim).
// Returns how many targets changed; the next inference round sees them.
int copy_batch_in_reshapes(Graph& graph, const ShapeInfo& info, const std::vector<DynamicBatch>& rewritten) {
  int changed = 0;
  for (auto& node : graph.nodes()) {
    const auto slot = op_traits(node.op_type).target_shape_input;
    if (!slot || node.attrs.get_int("allowzero", 0) != 0 || node.inputs.size() <= *slot) continue;
    const std::string& target = node.inputs[*slot];
    if (!graph.has_initializer(target) || graph.is_trainable(target)) continue;
    auto it = info.shapes.find(node.inputs[0]);
    if (it == info.shapes.end() || it->second.empty() || it->second[0] >= 0) continue;
    at::Tensor t = graph.initializer(target).to(at::kLong).contiguous();
    if (t.dim() != 1 || t.numel() == 0) continue;
    const int64_t first = t[0].item<int64_t>();
    bool is_batch = false;
    for (const auto& r : rewritten) is_batch = is_batch || r.exported == first;
    if (!is_batch) continue;
    t = t.clone();
    t[0] = 0;
    std::string name = target + "/dynamic_batch";
    while (graph.has_initializer(name)) name += "_";
    graph.set_initializer(name, t, /*trainable=*/false);
    node.inputs[*slot] = name;
    ++changed;
  }
  std::set<std::string> used;
  for (const auto& node : graph.nodes()) used.insert(node.inputs.begin(), node.inputs.end());
  for (const auto& out : graph.outputs()) used.insert(out.name);
  std::vector<std::string> unused;
  for (const auto& [name, t] : graph.initializers()) {
    if (!used.count(name) && !graph.is_trainable(name)) unused.push_back(name);
  }
  for (const auto& name : unused) graph.remove_initializer(name);
  return changed;
}

// Refuses a made-dynamic batch that a constant Reshape target still fixes (the
// batch merged into another dimension), naming the input, the batch and the node.
void check_batch_rewrite(const Graph& graph, const ShapeInfo& info, const std::vector<DynamicBatch>& rewritten,
                         const BatchSize& batch, const std::string& where) {
  for (const auto& node : graph.nodes()) {
    const auto slot = op_traits(node.op_type).target_shape_input;
    if (!slot || node.inputs.size() <= *slot || !graph.has_initializer(node.inputs[*slot])) continue;
    auto it = info.shapes.find(node.inputs[0]);
    if (it == info.shapes.end() || it->second.empty() || it->second[0] >= 0) continue;
    const at::Tensor t = graph.initializer(node.inputs[*slot]).to(at::kLong).contiguous();
    if (t.dim() != 1 || t.numel() == 0) continue;
    const std::vector<int64_t> target(t.data_ptr<int64_t>(), t.data_ptr<int64_t>() + t.numel());
    if (target[0] == 0 || target[0] == -1) continue;
    const ValueInfo input{rewritten[0].input, {rewritten[0].exported}, at::kFloat};
    throw IoError(where, "input '" + input.name + "'",
                  static_batch_text(input, batch) + ": node '" + node.name + "' (" + node.op_type + ") fixes dimension 0 to " +
                      std::to_string(target[0]) + " (shape " + ints_text(target) + ")" + dynamic_axes_hint(input));
  }
}

// Declared output shapes keep their static dims; dims they leave open ([?,?,?] in
// a dynamic-batch export) take what inference found. After a batch rewrite the
// inferred shape wins, so dimension 0 reads as dynamic.
void fill_output_shapes(Graph& graph, const ShapeInfo& info, bool batch_rewritten) {
  for (auto& out : graph.outputs()) {
    auto it = info.shapes.find(out.name);
    if (it == info.shapes.end()) continue;
    const auto& inferred = it->second;
    if (out.shape.empty() || out.shape.size() != inferred.size()) {
      if (out.shape.empty()) out.shape = inferred;
      continue;
    }
    for (size_t d = 0; d < out.shape.size(); ++d) {
      if (inferred[d] >= 0 && (out.shape[d] < 0 || batch_rewritten)) out.shape[d] = inferred[d];
      if (inferred[d] < 0 && batch_rewritten && d == 0) out.shape[d] = -1;
    }
  }
}

// Output dims that symbolic inference leaves open although they do not depend on
// the batch (a Reshape's -1 over a symbolic batch, [batch, 8, -1]): inferred at
// batches 2 and 3, where every shape chain folds; dims equal in both are static.
// Only when the batch is the inputs' one open dimension.
void probe_output_shapes(Graph& graph) {
  bool open = false;
  for (const auto& out : graph.outputs()) {
    for (size_t d = 1; d < out.shape.size(); ++d) open = open || out.shape[d] < 0;
  }
  if (!open) return;
  StaticShapes at2, at3;
  for (const auto& in : graph.inputs()) {
    if (in.shape.empty()) return;
    for (size_t d = 1; d < in.shape.size(); ++d) {
      if (in.shape[d] < 0) return;
    }
    std::vector<int64_t> s = in.shape;
    s[0] = in.shape[0] >= 0 ? in.shape[0] : 2;
    at2[in.name] = s;
    s[0] = in.shape[0] >= 0 ? in.shape[0] : 3;
    at3[in.name] = s;
  }
  StaticShapes a, b;
  try {
    a = infer_output_shapes(graph, at2);
    b = infer_output_shapes(graph, at3);
  } catch (const Error&) {
    return;  // a kernel refused the probe's constants: the shapes stay as inferred
  }
  for (auto& out : graph.outputs()) {
    auto ia = a.find(out.name), ib = b.find(out.name);
    if (ia == a.end() || ib == b.end() || ia->second.size() != out.shape.size() ||
        ib->second.size() != out.shape.size()) {
      continue;
    }
    for (size_t d = 0; d < out.shape.size(); ++d) {
      if (out.shape[d] < 0 && ia->second[d] >= 0 && ia->second[d] == ib->second[d]) out.shape[d] = ia->second[d];
    }
  }
}

// The model's default-domain opset, refused outside the range the importer reads.
int supported_opset(const onnx::ModelProto& model, const std::string& where) {
  if (!model.has_graph() || model.ir_version() <= 0) throw IoError(where, "", "not an ONNX model");
  const int opset = default_opset(model, where);
  if (opset < kMinImportOpset || opset > kMaxImportOpset) {
    throw IoError(where, "", "opset " + std::to_string(opset) + " is not supported (" +
                                 std::to_string(kMinImportOpset) + " to " + std::to_string(kMaxImportOpset) +
                                 "); export with opset_version=13");
  }
  return opset;
}

// Initializers become graph constants; float ones are trainable unless a node reads
// them in a constant slot (a Reshape target, a Resize scale).
void add_initializers(const onnx::GraphProto& g, const std::string& where, Graph& graph) {
  std::set<std::string> constant_slot;  // the values some node reads as a constant
  for (const auto& n : g.node()) {
    for (int i = 0; i < n.input_size(); ++i) {
      if (is_constant_slot(n.op_type(), static_cast<size_t>(i))) constant_slot.insert(n.input(i));
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
}

// The graph inputs; a static batch the options want dynamic is rewritten to -1 and returned.
std::vector<DynamicBatch> add_inputs(const onnx::GraphProto& g, const std::string& where,
                                     const ImportOptions& options, Graph& graph) {
  std::vector<DynamicBatch> rewritten;
  for (const auto& in : g.input()) {
    if (graph.has_initializer(in.name())) continue;  // IR < 4 lists initializers as inputs too
    ValueInfo info;
    try {
      info = to_value_info(in);
    } catch (const Error& e) {
      throw IoError(where, "input '" + in.name() + "'", e.message());
    }
    if (needs_dynamic_batch(info, options.batch)) {
      if (options.static_batch == StaticBatch::kRefuse) {
        throw IoError(where, "input '" + info.name + "'", static_batch_text(info, options.batch) + dynamic_axes_hint(info));
      }
      rewritten.push_back({info.name, info.shape[0]});
      info.shape[0] = -1;
    }
    graph.add_input(std::move(info));
  }
  return rewritten;
}

// The nodes with their attributes, those of opsets before 13 normalized to opset 13's form.
void add_nodes(const onnx::GraphProto& g, int opset, const StaticShapes& shapes, const std::string& where,
               Graph& graph) {
  const auto names = node_names(g);
  for (int i = 0; i < g.node_size(); ++i) {
    const auto& n = g.node(i);
    Node node{names[i], n.op_type(), {n.input().begin(), n.input().end()}, {n.output().begin(), n.output().end()}, {}};
    while (!node.outputs.empty() && node.outputs.back().empty()) node.outputs.pop_back();  // omitted optional outputs
    std::vector<Node> normalized;
    try {
      for (const auto& a : n.attribute()) node.attrs.set(a.name(), to_attribute(a));
      if (opset < 13) {
        normalized = normalize_before_opset13(std::move(node), graph, shapes);
      } else {
        normalized.push_back(std::move(node));
      }
    } catch (const Error& e) {
      throw IoError(where, node_label(names[i]), n.op_type() + ": " + e.message());
    }
    for (auto& m : normalized) graph.add_node(std::move(m));
  }
}

void add_outputs(const onnx::GraphProto& g, const std::string& where, Graph& graph) {
  for (const auto& out : g.output()) {
    try {
      graph.add_output(to_value_info(out));
    } catch (const Error& e) {
      throw IoError(where, "output '" + out.name() + "'", e.message());
    }
  }
}

// Inference and folding alternate until nothing changes: each fold can give
// inference a constant (a Reshape target) that makes more shapes static.
ShapeInfo infer_and_fold(Graph& graph, const std::vector<DynamicBatch>& rewritten, const ImportOptions& options,
                         const std::string& where) {
  ShapeInfo info;
  try {
    graph.validate();
    for (int round = 0;; ++round) {
      QAT_ASSERT(round < 1000, "shape inference and folding did not converge");
      info = infer_shapes(graph);
      if (!rewritten.empty() && copy_batch_in_reshapes(graph, info, rewritten) > 0) continue;
      if (!options.fold_constants || fold_constants(graph, info.shapes, info.values) == 0) break;
    }
  } catch (const Error& e) {
    throw IoError(where, "", e.what());
  }
  return info;
}

Graph convert(const onnx::ModelProto& model, const std::string& where, const ImportOptions& options) {
  const int opset = supported_opset(model, where);
  const onnx::GraphProto& g = model.graph();
  check_ops(g, where);
  check_positive_attributes(g, where);
  const StaticShapes shapes = model_shapes(model);

  Graph graph;
  add_initializers(g, where, graph);
  const std::vector<DynamicBatch> rewritten = add_inputs(g, where, options, graph);
  add_nodes(g, opset, shapes, where, graph);
  add_outputs(g, where, graph);
  for (const auto& p : model.metadata_props()) graph.metadata()[p.key()] = p.value();

  const ShapeInfo info = infer_and_fold(graph, rewritten, options, where);
  if (!rewritten.empty()) check_batch_rewrite(graph, info, rewritten, options.batch, where);
  normalize_after_folding(graph);
  fill_output_shapes(graph, info, !rewritten.empty());
  if (options.fold_constants) probe_output_shapes(graph);
  return graph;
}

}  // namespace

std::string BatchSize::describe() const {
  switch (kind) {
    case Kind::kAsDeclared: return "the declared batch";
    case Kind::kAny: return "any batch";
    case Kind::kFixed: return "batch " + std::to_string(value);
  }
  return "";
}

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

int onnx_opset(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(path, "", "cannot open the file");
  onnx::ModelProto model;
  if (!model.ParseFromIstream(&in)) throw IoError(path, "", "not an ONNX model (the protobuf does not parse)");
  return default_opset(model, path);
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
