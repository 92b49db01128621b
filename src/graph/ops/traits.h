// The traits of the built-in ops that declare any (op_traits.h), listed in registry.cpp.
#pragma once

#include "qat/graph/op_traits.h"

namespace qat::graph::ops {

OpTraits conv_traits();                 // quantizable (weight 1, axis 0), bias 2, BN-foldable, positive strides
OpTraits pool_traits();                 // positive strides, dilations and kernel
OpTraits gemm_traits();                 // quantizable (weight 1, axis 0 with transB, else 1)
OpTraits matmul_traits();               // quantizable (weight 1, its last axis)
OpTraits batch_normalization_traits();  // folds into its producer; statistics 3, 4
OpTraits identity_traits();             // see-through for a weight, same layout
OpTraits reshape_traits();              // see-through for a weight, new layout; shape 1 constant and a target
OpTraits resize_traits();               // roi, scales, sizes constant; empty roi/scales omitted
OpTraits clip_traits();                 // min, max constant
OpTraits range_traits();                // start, limit, delta constant
OpTraits concat_traits();               // joins its inputs
OpTraits add_traits();                  // residual sum
OpTraits shape_traits();                // reads its input's shape only
OpTraits mul_traits();                  // the product of a SiLU
OpTraits sigmoid_traits();              // the gate of a SiLU
OpTraits constant_traits();             // its value is an attribute
OpTraits softmax_traits();              // a distribution over an axis

}  // namespace qat::graph::ops
