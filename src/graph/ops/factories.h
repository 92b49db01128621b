// Kernel factories of the built-in ops, listed once in registry.cpp.
#pragma once

#include "qat/graph/op_registry.h"

namespace qat::graph::ops {

// nn_ops.cpp
Kernel make_conv(const Node&, const Graph&);
Kernel make_batch_normalization(const Node&, const Graph&);
Kernel make_instance_normalization(const Node&, const Graph&);
Kernel make_gemm(const Node&, const Graph&);
Kernel make_matmul(const Node&, const Graph&);
Kernel make_max_pool(const Node&, const Graph&);
Kernel make_average_pool(const Node&, const Graph&);
Kernel make_global_average_pool(const Node&, const Graph&);

// resize.cpp
Kernel make_resize(const Node&, const Graph&);

// elementwise_ops.cpp
Kernel make_add(const Node&, const Graph&);
Kernel make_sub(const Node&, const Graph&);
Kernel make_mul(const Node&, const Graph&);
Kernel make_div(const Node&, const Graph&);
Kernel make_pow(const Node&, const Graph&);
Kernel make_min(const Node&, const Graph&);
Kernel make_max(const Node&, const Graph&);
Kernel make_equal(const Node&, const Graph&);
Kernel make_where(const Node&, const Graph&);
Kernel make_neg(const Node&, const Graph&);
Kernel make_abs(const Node&, const Graph&);
Kernel make_sqrt(const Node&, const Graph&);
Kernel make_reciprocal(const Node&, const Graph&);
Kernel make_log(const Node&, const Graph&);
Kernel make_floor(const Node&, const Graph&);
Kernel make_ceil(const Node&, const Graph&);
Kernel make_erf(const Node&, const Graph&);
Kernel make_hard_sigmoid(const Node&, const Graph&);
Kernel make_hard_swish(const Node&, const Graph&);
Kernel make_relu(const Node&, const Graph&);
Kernel make_leaky_relu(const Node&, const Graph&);
Kernel make_sigmoid(const Node&, const Graph&);
Kernel make_tanh(const Node&, const Graph&);
Kernel make_exp(const Node&, const Graph&);
Kernel make_identity(const Node&, const Graph&);
Kernel make_softmax(const Node&, const Graph&);
Kernel make_log_softmax(const Node&, const Graph&);
Kernel make_hardmax(const Node&, const Graph&);
Kernel make_clip(const Node&, const Graph&);

// shape_ops.cpp
Kernel make_concat(const Node&, const Graph&);
Kernel make_split(const Node&, const Graph&);
Kernel make_slice(const Node&, const Graph&);
Kernel make_reshape(const Node&, const Graph&);
Kernel make_transpose(const Node&, const Graph&);
Kernel make_flatten(const Node&, const Graph&);
Kernel make_unsqueeze(const Node&, const Graph&);
Kernel make_squeeze(const Node&, const Graph&);
Kernel make_shape(const Node&, const Graph&);
Kernel make_constant(const Node&, const Graph&);
Kernel make_constant_of_shape(const Node&, const Graph&);
Kernel make_cast(const Node&, const Graph&);
Kernel make_gather(const Node&, const Graph&);
Kernel make_expand(const Node&, const Graph&);
Kernel make_range(const Node&, const Graph&);
Kernel make_tile(const Node&, const Graph&);

// reduce_ops.cpp
Kernel make_reduce_mean(const Node&, const Graph&);
Kernel make_reduce_sum(const Node&, const Graph&);
Kernel make_reduce_max(const Node&, const Graph&);
Kernel make_reduce_min(const Node&, const Graph&);

}  // namespace qat::graph::ops
