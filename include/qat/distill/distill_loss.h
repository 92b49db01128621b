// The interface of a distillation loss: a scalar that pulls the fake-quantized
// student's values towards the frozen FP32 teacher's on the same batch.
#pragma once

#include <ATen/ATen.h>

#include <memory>

#include "qat/distill/loss_spec.h"
#include "qat/graph/executor.h"

namespace qat::distill {

/// What one training step offers the losses. Both value maps hold the detector
/// outputs "boxes" [B,A,4] (xyxy pixels), "scores" [B,A,C], the value "logits"
/// [B,A,C] and every tap the objective asked for (DistillObjective::taps()).
struct DistillContext {
  const graph::ValueMap& teacher;  ///< treated as constants: losses detach them
  const graph::ValueMap& student;
  const at::Tensor& anchor_points;   ///< [A,2] (cx, cy) pixels
  const at::Tensor& anchor_strides;  ///< [A] pixels
  const at::Tensor& targets;         ///< [T,6] ground truth: batch index, label, x1, y1, x2, y2
  double image_area = 0;             ///< H * W of the input in pixels; 0 when unknown
};

class DistillLoss {
 public:
  virtual ~DistillLoss();
  /// The unweighted loss: a scalar with gradient to the student's values only.
  /// Throws Error for a value missing from either map, ShapeError for mismatched shapes.
  virtual at::Tensor compute(const DistillContext& ctx) const = 0;
};

/// Builds a loss from its spec (spec.type selects the factory).
using LossFactory = std::unique_ptr<DistillLoss> (*)(const LossSpec& spec);

}  // namespace qat::distill
