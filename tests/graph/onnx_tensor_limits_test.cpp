// Initializer shapes are checked against the data the file holds before anything is
// allocated (issue 14): huge, negative and overflowing dims are refused.
#include <onnx/onnx_pb.h>

#include "qat/graph/onnx_tensor.h"
#include "support/test_support.h"

namespace qat::graph {
namespace {

onnx::TensorProto floats_with_dims(const std::vector<int64_t>& dims, bool raw) {
  onnx::TensorProto p;
  p.set_name("w");
  p.set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : dims) p.add_dims(d);
  if (raw) {
    p.set_raw_data(std::string(8, '\0'));
  } else {
    p.add_float_data(1.0f);
    p.add_float_data(2.0f);
  }
  return p;
}

}  // namespace

TEST(OnnxTensorLimits, HugeDimsWithLittleDataAreRefusedBeforeAllocating) {
  ASSERT_THROWS_WITH(from_onnx_tensor(floats_with_dims({1000000000000}, true)), Error,
                     "tensor 'w': raw data has 8 bytes for 1000000000000 elements of Float");
  ASSERT_THROWS_WITH(from_onnx_tensor(floats_with_dims({1000000, 1000000}, false)), Error,
                     "tensor 'w': has 2 values for 1000000000000 elements");
}

TEST(OnnxTensorLimits, NegativeDimIsRefused) {
  ASSERT_THROWS_WITH(from_onnx_tensor(floats_with_dims({-2}, true)), Error,
                     "tensor 'w': dims [-2] has a negative dimension");
  ASSERT_THROWS_WITH(from_onnx_tensor(floats_with_dims({2, -1}, false)), Error,
                     "tensor 'w': dims [2,-1] has a negative dimension");
}

TEST(OnnxTensorLimits, DimsWhoseProductOverflowsAreRefused) {
  ASSERT_THROWS_WITH(from_onnx_tensor(floats_with_dims({4294967296, 4294967296}, true)), Error,
                     "tensor 'w': dims [4294967296,4294967296] hold more elements than int64 counts");
  // A zero anywhere makes an empty tensor, however large the other dims.
  onnx::TensorProto empty;
  empty.set_data_type(onnx::TensorProto::FLOAT);
  empty.add_dims(0);
  empty.add_dims(4294967296);
  EXPECT_EQ(from_onnx_tensor(empty).numel(), 0);
  EXPECT_EQ(from_onnx_tensor(floats_with_dims({1, 2}, true)).sizes(), (at::IntArrayRef{1, 2}));
}

}  // namespace qat::graph
