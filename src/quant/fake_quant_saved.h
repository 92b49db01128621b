// What the fake-quant autograd functions keep in their context for the backward pass,
// under one set of keys (fake_quant_kernels.cpp, silu_fake_quant.cpp).
#pragma once

#include <torch/csrc/autograd/custom_function.h>

#include <cstdint>

#include "fake_quant_lanes.h"

namespace qat::quant::detail {

inline void save_bounds(torch::autograd::AutogradContext* ctx, int64_t quant_min, int64_t quant_max) {
  ctx->saved_data["quant_min"] = quant_min;
  ctx->saved_data["quant_max"] = quant_max;
}

inline Bounds saved_bounds(torch::autograd::AutogradContext* ctx) {
  return bounds(ctx->saved_data["quant_min"].toInt(), ctx->saved_data["quant_max"].toInt());
}

/// Fixed per-tensor qparams: the scale and zero point as the caller gave them, and the bounds.
inline void save_per_tensor(torch::autograd::AutogradContext* ctx, double scale, int64_t zero_point,
                            int64_t quant_min, int64_t quant_max) {
  ctx->saved_data["scale"] = scale;
  ctx->saved_data["zero_point"] = zero_point;
  save_bounds(ctx, quant_min, quant_max);
}

/// The grid save_per_tensor's qparams give, computed as the forward computed it.
inline Grid saved_per_tensor_grid(torch::autograd::AutogradContext* ctx) {
  return grid_of(static_cast<float>(ctx->saved_data["scale"].toDouble()),
                 static_cast<float>(ctx->saved_data["zero_point"].toInt()), saved_bounds(ctx));
}

}  // namespace qat::quant::detail
