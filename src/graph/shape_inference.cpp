#include "qat/graph/shape_inference.h"

#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include <map>
#include <set>
#include <unordered_map>

#include "qat/core/error.h"
#include "qat/graph/onnx_tensor.h"

namespace qat::graph {
namespace {

// The IR keeps the opset-13 forms of every op it registers, which opset 17 still accepts.
constexpr int kInferenceOpset = 17;

void set_type(onnx::ValueInfoProto& v, const std::string& name, at::ScalarType dtype,
              const std::vector<int64_t>* shape, const std::string& symbol_prefix) {
  v.set_name(name);
  auto* t = v.mutable_type()->mutable_tensor_type();
  t->set_elem_type(onnx_dtype(dtype));
  if (!shape) return;
  auto* s = t->mutable_shape();
  for (size_t i = 0; i < shape->size(); ++i) {
    const int64_t d = (*shape)[i];
    if (d >= 0) {
      s->add_dim()->set_dim_value(d);
    } else {
      // One batch symbol for every input, so inference can tell equal batch dims apart from others.
      s->add_dim()->set_dim_param(i == 0 ? "batch" : symbol_prefix + "_" + std::to_string(i));
    }
  }
}

// ONNX 1.12's data propagation for Shape dereferences its input's type without a
// check, and crashes the process when inference found none (the producer's inference
// failed: a shape mismatch, say). A bare tensor type declared for each Shape input
// that is not a graph input or initializer keeps that pointer valid; inference merges
// what it finds into it, so a producer that infers still gives its type and shape.
void declare_shape_inputs(onnx::GraphProto& g) {
  std::set<std::string> typed;
  for (const auto& v : g.input()) typed.insert(v.name());
  for (const auto& t : g.initializer()) typed.insert(t.name());
  std::map<std::string, onnx::ValueInfoProto*> outputs;
  for (auto& v : *g.mutable_output()) outputs[v.name()] = &v;
  for (const auto& n : g.node()) {
    if (n.op_type() != "Shape" || n.input_size() == 0 || !typed.insert(n.input(0)).second) continue;
    auto it = outputs.find(n.input(0));
    onnx::ValueInfoProto* v = it != outputs.end() ? it->second : g.add_value_info();
    v->set_name(n.input(0));
    v->mutable_type()->mutable_tensor_type();
  }
}

// The graph as a model for inference: constants with their data, parameters
// (trainable initializers) as inputs of known type and shape only.
onnx::ModelProto to_inference_model(const Graph& graph, const StaticShapes& input_shapes) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  auto* opset = m.add_opset_import();
  opset->set_domain("");
  opset->set_version(kInferenceOpset);
  auto* g = m.mutable_graph();
  g->set_name("qat");
  for (const auto& in : graph.inputs()) {
    // The IR cannot tell a scalar input from one of unknown rank; inputs are rarely scalars.
    auto it = input_shapes.find(in.name);
    const std::vector<int64_t>* shape = it == input_shapes.end() ? &in.shape : &it->second;
    set_type(*g->add_input(), in.name, in.dtype, shape->empty() ? nullptr : shape, in.name);
  }
  for (const auto& [name, t] : graph.initializers()) {
    const std::vector<int64_t> shape = t.sizes().vec();
    if (!graph.is_trainable(name)) {
      try {
        to_onnx_tensor(t.contiguous(), name, *g->add_initializer());
        continue;
      } catch (const Error&) {
        g->mutable_initializer()->RemoveLast();  // a type to_onnx_tensor does not write: give its type only
      }
    }
    try {
      set_type(*g->add_input(), name, t.scalar_type(), &shape, name);
    } catch (const Error&) {
      g->mutable_input()->RemoveLast();  // no ONNX type: readers stay uninferred
    }
  }
  for (const auto& n : graph.nodes()) {
    auto* p = g->add_node();
    p->set_name(n.name);
    p->set_op_type(n.op_type);
    for (const auto& i : n.inputs) p->add_input(i);
    for (const auto& o : n.outputs) p->add_output(o);
    for (const auto& [name, value] : n.attrs.all()) {
      try {
        to_onnx_attribute(name, value, *p->add_attribute());
      } catch (const Error&) {
        p->mutable_attribute()->RemoveLast();  // that node's inference fails, alone
      }
    }
  }
  for (const auto& out : graph.outputs()) {
    auto* v = g->add_output();
    v->set_name(out.name);
  }
  declare_shape_inputs(*g);
  return m;
}

std::vector<int64_t> dims_of(const onnx::TensorShapeProto& s) {
  std::vector<int64_t> dims;
  for (const auto& d : s.dim()) dims.push_back(d.has_dim_value() ? d.dim_value() : -1);
  return dims;
}

}  // namespace

ShapeInfo infer_shapes(const Graph& graph, const StaticShapes& input_shapes) {
  onnx::ModelProto model = to_inference_model(graph, input_shapes);
  std::unordered_map<std::string, onnx::TensorShapeProto> data;
  try {
    const onnx::ShapeInferenceOptions options(/*check_type=*/false, /*error_mode=*/0, /*data_prop=*/true);
    onnx::shape_inference::InferShapes(model, onnx::OpSchemaRegistry::Instance(), options, &data);
  } catch (const std::exception&) {
    // Errors outside single nodes (conflicting declared shapes) leave whatever was found.
  }
  ShapeInfo info;
  std::map<std::string, int> types;
  auto add = [&](const onnx::ValueInfoProto& v) {
    if (!v.type().has_tensor_type()) return;
    const auto& t = v.type().tensor_type();
    if (t.elem_type() != 0) types[v.name()] = t.elem_type();
    if (t.has_shape()) info.shapes[v.name()] = dims_of(t.shape());
  };
  for (const auto& v : model.graph().input()) add(v);
  for (const auto& v : model.graph().value_info()) add(v);
  for (const auto& v : model.graph().output()) add(v);
  for (const auto& [name, shape] : data) {
    // An element without dim_value is unknown (symbolic); a dim_value may be negative (a Reshape's -1).
    std::vector<int64_t> elems;
    bool known = true;
    for (const auto& d : shape.dim()) {
      known = known && d.has_dim_value();
      elems.push_back(d.dim_value());
    }
    if (!known || graph.has_initializer(name)) continue;
    at::Tensor value = at::tensor(elems, at::kLong);
    auto shape_it = info.shapes.find(name);
    if (shape_it != info.shapes.end()) {
      if (shape_it->second.empty() && elems.size() == 1) {
        value = value.reshape({});
      } else if (shape_it->second.size() != 1 || shape_it->second[0] != static_cast<int64_t>(elems.size())) {
        continue;  // not the 1-D (or scalar) tensor data propagation describes
      }
    }
    auto type_it = types.find(name);
    if (type_it != types.end()) {
      try {
        value = value.to(aten_dtype(type_it->second));
      } catch (const Error&) {
        continue;
      }
    }
    info.values[name] = value;
  }
  return info;
}

StaticShapes infer_output_shapes(const Graph& graph, const StaticShapes& input_shapes) {
  // At static input shapes every Shape chain folds, so Reshape targets become
  // constants and inference can solve their -1 (it cannot for a symbolic batch).
  Graph copy = graph;
  ShapeInfo info;
  for (int round = 0;; ++round) {
    QAT_ASSERT(round < 1000, "shape inference and folding did not converge");
    info = infer_shapes(copy, input_shapes);
    if (fold_constants(copy, info.shapes, info.values) == 0) break;
  }
  StaticShapes out;
  for (const auto& o : graph.outputs()) {
    auto it = info.shapes.find(o.name);
    if (it != info.shapes.end()) out[o.name] = it->second;
  }
  return out;
}

}  // namespace qat::graph
