// Seeded structural mutations of an ONNX model, for the tests that feed qat's importer
// broken exports: an op type, an input name, an int, ints or float attribute, an
// initializer's dims, type or bytes, an int64 shape constant, the input's dims, the
// opset, a node dropped, moved or made to redefine a value.
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <random>
#include <string>
#include <utility>

namespace qat::testing {

class OnnxMutator {
 public:
  explicit OnnxMutator(uint32_t seed) : rng_(seed) {}

  /// Applies one mutation to `m` and returns what it did.
  std::string mutate(onnx::ModelProto& m);

 private:
  int pick(size_t n);
  template <class T>
  T one_of(std::initializer_list<T> values) { return values.begin()[pick(values.size())]; }
  onnx::NodeProto& any_node(onnx::GraphProto& g);
  std::pair<onnx::NodeProto*, onnx::AttributeProto*> any_attribute(onnx::GraphProto& g,
                                                                    onnx::AttributeProto::AttributeType type);
  onnx::TensorProto* any_initializer(onnx::GraphProto& g);
  int64_t odd_int(int64_t around);

  std::string op_type(onnx::GraphProto& g);
  std::string input_name(onnx::GraphProto& g);
  std::string int_attribute(onnx::GraphProto& g);
  std::string ints_attribute(onnx::GraphProto& g);
  std::string float_attribute(onnx::GraphProto& g);
  std::string drop_attribute(onnx::GraphProto& g);
  std::string initializer_dims(onnx::GraphProto& g);
  std::string initializer_type_or_bytes(onnx::GraphProto& g);
  std::string shape_constant(onnx::GraphProto& g);
  std::string input_dim(onnx::GraphProto& g);
  std::string opset(onnx::ModelProto& m);
  std::string drop_or_move_node(onnx::GraphProto& g);
  std::string redefine_value(onnx::GraphProto& g);

  std::mt19937 rng_;
};

/// `count` mutations of `m` by a mutator seeded with `seed`; returns what they did, "; "-separated.
std::string mutate_onnx(onnx::ModelProto& m, uint32_t seed, int count);

}  // namespace qat::testing
