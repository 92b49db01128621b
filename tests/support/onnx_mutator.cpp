#include "support/onnx_mutator.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

namespace qat::testing {
namespace {

std::string where(const onnx::NodeProto& n) { return "node '" + n.name() + "' (" + n.op_type() + ")"; }

}  // namespace

std::string OnnxMutator::mutate(onnx::ModelProto& m) {
  auto& g = *m.mutable_graph();
  switch (pick(13)) {
    case 0: return op_type(g);
    case 1: return input_name(g);
    case 2: return int_attribute(g);
    case 3: return ints_attribute(g);
    case 4: return float_attribute(g);
    case 5: return drop_attribute(g);
    case 6: return initializer_dims(g);
    case 7: return initializer_type_or_bytes(g);
    case 8: return shape_constant(g);
    case 9: return input_dim(g);
    case 10: return opset(m);
    case 11: return drop_or_move_node(g);
    default: return redefine_value(g);
  }
}

int OnnxMutator::pick(size_t n) { return static_cast<int>(std::uniform_int_distribution<size_t>(0, n - 1)(rng_)); }

onnx::NodeProto& OnnxMutator::any_node(onnx::GraphProto& g) {
  return *g.mutable_node(pick(static_cast<size_t>(g.node_size())));
}

// An attribute of `type` on some node, or null when a few tries find none.
std::pair<onnx::NodeProto*, onnx::AttributeProto*> OnnxMutator::any_attribute(
    onnx::GraphProto& g, onnx::AttributeProto::AttributeType type) {
  for (int tries = 0; tries < 64; ++tries) {
    auto& n = any_node(g);
    if (n.attribute_size() == 0) continue;
    auto* a = n.mutable_attribute(pick(static_cast<size_t>(n.attribute_size())));
    if (a->type() == type) return {&n, a};
  }
  return {nullptr, nullptr};
}

int64_t OnnxMutator::odd_int(int64_t around) {
  return one_of<int64_t>({-2, -1, 0, 1, 2, 3, 7, around + 1, around * 2, int64_t{1} << 40});
}

std::string OnnxMutator::op_type(onnx::GraphProto& g) {
  auto& n = any_node(g);
  const std::string was = where(n);
  n.set_op_type(one_of<const char*>({"Conv", "Resize", "Reshape", "Concat", "Split", "Slice", "Gather", "Transpose",
                                     "Softmax", "MaxPool", "Sigmoid", "Mul", "Add", "Identity", "NoSuchOp"}));
  return was + " becomes " + n.op_type();
}

std::string OnnxMutator::input_name(onnx::GraphProto& g) {
  auto& n = any_node(g);
  if (n.input_size() == 0) return "no change (" + where(n) + " has no inputs)";
  const int i = pick(static_cast<size_t>(n.input_size()));
  if (pick(4) == 0) {
    n.mutable_input()->RemoveLast();
    return where(n) + " loses its last input";
  }
  auto& other = any_node(g);
  const bool existing = other.output_size() > 0 && pick(3) > 0;
  const std::string name = existing ? other.output(0) : one_of<const char*>({"", "nowhere"});
  n.set_input(i, name);
  return where(n) + " input " + std::to_string(i) + " reads '" + name + "'";
}

std::string OnnxMutator::int_attribute(onnx::GraphProto& g) {
  auto [n, a] = any_attribute(g, onnx::AttributeProto::INT);
  if (!a) return "no change (no int attribute found)";
  a->set_i(odd_int(a->i()));
  return where(*n) + " " + a->name() + " = " + std::to_string(a->i());
}

std::string OnnxMutator::ints_attribute(onnx::GraphProto& g) {
  auto [n, a] = any_attribute(g, onnx::AttributeProto::INTS);
  if (!a) return "no change (no ints attribute found)";
  if (a->ints_size() == 0 || pick(4) == 0) {
    a->add_ints(odd_int(1));
    return where(*n) + " " + a->name() + " gains an element";
  }
  const int j = pick(static_cast<size_t>(a->ints_size()));
  if (pick(4) == 0) {
    a->mutable_ints()->RemoveLast();
    return where(*n) + " " + a->name() + " loses an element";
  }
  a->set_ints(j, odd_int(a->ints(j)));
  return where(*n) + " " + a->name() + "[" + std::to_string(j) + "] = " + std::to_string(a->ints(j));
}

std::string OnnxMutator::float_attribute(onnx::GraphProto& g) {
  auto [n, a] = any_attribute(g, onnx::AttributeProto::FLOAT);
  if (!a) return "no change (no float attribute found)";
  a->set_f(one_of<float>({0.f, -1.f, 1e30f, std::numeric_limits<float>::infinity(), std::nanf("")}));
  return where(*n) + " " + a->name() + " = " + std::to_string(a->f());
}

std::string OnnxMutator::drop_attribute(onnx::GraphProto& g) {
  auto& n = any_node(g);
  if (n.attribute_size() == 0) return "no change (" + where(n) + " has no attributes)";
  const int i = pick(static_cast<size_t>(n.attribute_size()));
  const std::string name = n.attribute(i).name();
  n.mutable_attribute()->DeleteSubrange(i, 1);
  return where(n) + " loses attribute " + name;
}

onnx::TensorProto* OnnxMutator::any_initializer(onnx::GraphProto& g) {
  if (g.initializer_size() == 0) return nullptr;
  return g.mutable_initializer(pick(static_cast<size_t>(g.initializer_size())));
}

std::string OnnxMutator::initializer_dims(onnx::GraphProto& g) {
  auto* t = any_initializer(g);
  if (!t) return "no change (no initializers)";
  if (t->dims_size() == 0 || pick(5) == 0) {
    t->add_dims(one_of<int64_t>({0, 1, 2}));
    return "initializer '" + t->name() + "' gains a dim";
  }
  const int j = pick(static_cast<size_t>(t->dims_size()));
  t->set_dims(j, one_of<int64_t>({0, 1, -1, t->dims(j) + 1, t->dims(j) * 2, int64_t{1} << 40}));
  return "initializer '" + t->name() + "' dims[" + std::to_string(j) + "] = " + std::to_string(t->dims(j));
}

std::string OnnxMutator::initializer_type_or_bytes(onnx::GraphProto& g) {
  auto* t = any_initializer(g);
  if (!t) return "no change (no initializers)";
  if (pick(2) == 0) {
    using T = onnx::TensorProto;
    t->set_data_type(one_of<int>({T::DOUBLE, T::INT64, T::INT32, T::UINT8, T::FLOAT16, T::BOOL, 0, 99}));
    return "initializer '" + t->name() + "' data_type = " + std::to_string(t->data_type());
  }
  t->mutable_raw_data()->resize(t->raw_data().size() / 2);
  return "initializer '" + t->name() + "' loses half its bytes";
}

// An element of a small int64 tensor, an initializer or a Constant's value: the
// shapes, axes, starts and sizes exporters write.
std::string OnnxMutator::shape_constant(onnx::GraphProto& g) {
  std::vector<onnx::TensorProto*> small;
  for (auto& t : *g.mutable_initializer()) {
    if (t.data_type() == onnx::TensorProto::INT64 && t.raw_data().size() <= 64) small.push_back(&t);
  }
  for (auto& n : *g.mutable_node()) {
    for (auto& a : *n.mutable_attribute()) {
      if (a.type() == onnx::AttributeProto::TENSOR && a.t().data_type() == onnx::TensorProto::INT64) {
        small.push_back(a.mutable_t());
      }
    }
  }
  if (small.empty()) return "no change (no int64 constants)";
  auto* t = small[static_cast<size_t>(pick(small.size()))];
  const std::string label = "int64 constant '" + t->name() + "'";
  if (t->int64_data_size() > 0) {
    const int j = pick(static_cast<size_t>(t->int64_data_size()));
    t->set_int64_data(j, odd_int(t->int64_data(j)));
    return label + " element " + std::to_string(j) + " = " + std::to_string(t->int64_data(j));
  }
  auto& raw = *t->mutable_raw_data();
  if (raw.size() < sizeof(int64_t)) return "no change (" + label + " is empty)";
  const size_t j = static_cast<size_t>(pick(raw.size() / sizeof(int64_t)));
  int64_t v;
  std::memcpy(&v, raw.data() + j * sizeof v, sizeof v);
  v = odd_int(v);
  std::memcpy(raw.data() + j * sizeof v, &v, sizeof v);
  return label + " element " + std::to_string(j) + " = " + std::to_string(v);
}

std::string OnnxMutator::input_dim(onnx::GraphProto& g) {
  if (g.input_size() == 0) return "no change (no graph inputs)";
  auto* shape = g.mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape();
  if (shape->dim_size() == 0 || pick(6) == 0) {
    g.mutable_input(0)->mutable_type()->mutable_tensor_type()->set_elem_type(
        one_of<int>({onnx::TensorProto::INT64, onnx::TensorProto::UINT8, onnx::TensorProto::DOUBLE}));
    return "input 0 changes its element type";
  }
  const int j = pick(static_cast<size_t>(shape->dim_size()));
  auto* d = shape->mutable_dim(j);
  if (pick(3) == 0) {
    d->set_dim_param("n");
    return "input 0 dim " + std::to_string(j) + " becomes symbolic";
  }
  d->set_dim_value(one_of<int64_t>({0, 1, 2, 5, d->dim_value() + 1}));
  return "input 0 dim " + std::to_string(j) + " = " + std::to_string(d->dim_value());
}

std::string OnnxMutator::opset(onnx::ModelProto& m) {
  if (m.opset_import_size() == 0) return "no change (no opset import)";
  const int64_t v = one_of<int64_t>({1, 7, 10, 11, 12, 13, 16, 17, 18, 99});
  m.mutable_opset_import(0)->set_version(v);
  return "opset " + std::to_string(v);
}

std::string OnnxMutator::drop_or_move_node(onnx::GraphProto& g) {
  const int i = pick(static_cast<size_t>(g.node_size()));
  const std::string was = where(g.node(i));
  if (pick(2) == 0) {
    g.mutable_node()->DeleteSubrange(i, 1);
    return was + " removed";
  }
  const int j = pick(static_cast<size_t>(g.node_size()));
  g.mutable_node()->SwapElements(i, j);
  return was + " swapped with node " + std::to_string(j);
}

std::string OnnxMutator::redefine_value(onnx::GraphProto& g) {
  auto& n = any_node(g);
  auto& other = any_node(g);
  if (n.output_size() == 0 || other.output_size() == 0) return "no change (a node without outputs)";
  n.set_output(0, other.output(0));
  return where(n) + " also writes '" + other.output(0) + "'";
}

std::string mutate_onnx(onnx::ModelProto& m, uint32_t seed, int count) {
  OnnxMutator mutator(seed);
  std::string what;
  for (int c = 0; c < count; ++c) what += (c ? "; " : "") + mutator.mutate(m);
  return what;
}

}  // namespace qat::testing
