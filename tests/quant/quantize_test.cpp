#include "qat/quant/quantize.h"

#include "support/test_support.h"

namespace qat::quant {

namespace {

QParams per_tensor(float scale, int zero_point) {
  return {at::tensor({scale}), at::tensor({zero_point}, at::kInt)};
}

std::vector<int> ints(const at::Tensor& t) {
  const auto c = t.to(at::kInt).contiguous();
  return {c.data_ptr<int>(), c.data_ptr<int>() + c.numel()};
}

std::vector<float> floats(const at::Tensor& t) {
  const auto c = t.to(at::kFloat).contiguous();
  return {c.data_ptr<float>(), c.data_ptr<float>() + c.numel()};
}

}  // namespace

// onnxruntime's QuantizeLinear test: uint8, scale 2, zero point 128.
TEST(Quantize, OnnxRuntimeUint8Golden) {
  QuantSpec spec;
  spec.is_signed = false;
  spec.symmetric = false;
  const auto qp = per_tensor(2.0f, 128);
  const auto q = quantize(at::tensor({0.0f, 2.0f, 3.0f, 1000.0f, -254.0f, -1000.0f}), qp, spec);
  EXPECT_EQ(q.scalar_type(), at::kInt);
  // 3 / 2 = 1.5 rounds to even (2): 130; 1000 and -1000 saturate.
  EXPECT_EQ(ints(q), (std::vector<int>{128, 129, 130, 255, 1, 0}));
  EXPECT_EQ(floats(dequantize(q, qp, spec)), (std::vector<float>{0, 2, 4, 254, -254, -256}));
}

TEST(Quantize, Int8SymmetricRoundsHalfToEvenAndSaturates) {
  QuantSpec spec;
  const auto qp = per_tensor(0.5f, 0);
  const auto x = at::tensor({0.25f, 0.75f, 1.25f, -0.25f, -0.75f, 100.0f, -100.0f});
  EXPECT_EQ(ints(quantize(x, qp, spec)), (std::vector<int>{0, 2, 2, 0, -2, 127, -128}));
  spec.narrow_range = true;
  EXPECT_EQ(ints(quantize(x, qp, spec)), (std::vector<int>{0, 2, 2, 0, -2, 127, -127}));
  EXPECT_EQ(floats(dequantize(quantize(x, qp, spec), qp, spec)),
            (std::vector<float>{0, 1, 1, 0, -1, 63.5f, -63.5f}));
}

TEST(Quantize, FourBitGrid) {
  QuantSpec spec;
  spec.bits = 4;
  EXPECT_EQ(ints(quantize(at::tensor({-9.0f, -2.5f, 3.5f, 7.4f, 20.0f}), per_tensor(1.0f, 0), spec)),
            (std::vector<int>{-8, -2, 4, 7, 7}));
}

TEST(Quantize, PerChannelAlongAxis) {
  QuantSpec spec;
  spec.axis = 1;
  const QParams qp{at::tensor({0.5f, 1.0f}), at::tensor({0, 3}, at::kInt)};
  const auto x = at::tensor({1.0f, 1.0f, 2.0f, -2.0f}).reshape({2, 2});
  // Column 0: x / 0.5; column 1: x / 1 + 3.
  EXPECT_EQ(ints(quantize(x, qp, spec)), (std::vector<int>{2, 4, 4, 1}));
  EXPECT_EQ(floats(dequantize(quantize(x, qp, spec), qp, spec)), (std::vector<float>{1, 1, 2, -2}));
  spec.axis = 0;
  EXPECT_EQ(ints(quantize(x, qp, spec)), (std::vector<int>{2, 2, 5, 1}));
}

TEST(Quantize, PerChannelShapeMismatchIsAShapeError) {
  QuantSpec spec;
  spec.axis = 1;
  const QParams qp{at::tensor({0.5f, 1.0f, 2.0f}), at::zeros({3}, at::kInt)};
  ASSERT_THROWS_WITH(quantize(at::zeros({2, 2}), qp, spec), ShapeError,
                     "per-channel parameters of length 3 do not fit axis 1 of a tensor of shape [2, 2]");
}

}  // namespace qat::quant
