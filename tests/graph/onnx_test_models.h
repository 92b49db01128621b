// Building small ONNX models in C++ for the importer's tests (as
// torch.onnx.export writes them, node by node).
#pragma once

#include <onnx/onnx_pb.h>

#include <ATen/ATen.h>

#include <string>
#include <vector>

#include "qat/graph/onnx_tensor.h"

namespace qat::graph {

inline at::Tensor longs(std::vector<int64_t> v) { return at::tensor(v, at::kLong); }

inline onnx::ModelProto model_with_opset(int opset) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  auto* o = m.add_opset_import();
  o->set_domain("");
  o->set_version(opset);
  return m;
}

inline void add_value(google::protobuf::RepeatedPtrField<onnx::ValueInfoProto>* list, const std::string& name,
               const std::vector<int64_t>& dims, int type = onnx::TensorProto::FLOAT) {
  auto* v = list->Add();
  v->set_name(name);
  auto* t = v->mutable_type()->mutable_tensor_type();
  t->set_elem_type(type);
  auto* shape = t->mutable_shape();
  for (int64_t d : dims) {
    if (d < 0) {
      shape->add_dim()->set_dim_param("batch");
    } else {
      shape->add_dim()->set_dim_value(d);
    }
  }
}

inline onnx::NodeProto* add_node(onnx::GraphProto* g, const std::string& name, const std::string& op,
                          const std::vector<std::string>& in, const std::vector<std::string>& out) {
  auto* n = g->add_node();
  n->set_name(name);
  n->set_op_type(op);
  for (const auto& i : in) n->add_input(i);
  for (const auto& o : out) n->add_output(o);
  return n;
}

inline void add_ints(onnx::NodeProto* n, const std::string& name, const std::vector<int64_t>& v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (int64_t x : v) a->add_ints(x);
}

inline void add_int(onnx::NodeProto* n, const std::string& name, int64_t v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
}

inline void add_initializer(onnx::GraphProto* g, const std::string& name, const at::Tensor& t) {
  to_onnx_tensor(t, name, *g->add_initializer());
}

/// An input or output with an element type and no shape (unknown rank).
inline void add_unshaped(google::protobuf::RepeatedPtrField<onnx::ValueInfoProto>* list, const std::string& name) {
  auto* v = list->Add();
  v->set_name(name);
  v->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
}

inline void add_float(onnx::NodeProto* n, const std::string& name, float v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(v);
}

/// A Constant node holding `value`.
inline void add_constant(onnx::GraphProto* g, const std::string& name, const std::string& output, const at::Tensor& value) {
  auto* c = add_node(g, name, "Constant", {}, {output});
  auto* a = c->add_attribute();
  a->set_name("value");
  a->set_type(onnx::AttributeProto::TENSOR);
  to_onnx_tensor(value, "", *a->mutable_t());
}

}  // namespace qat::graph
