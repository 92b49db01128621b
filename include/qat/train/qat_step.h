// One QAT iteration, shared by train_qat and bench/detector_bench.cpp so that the
// bench times the trainer's own code: the frozen teacher's forward, the
// fake-quantized student's forward, the distillation losses, backward and the
// optimizer step.
#pragma once

#include <ATen/ATen.h>

#include <memory>
#include <string>
#include <vector>

#include "qat/distill/distill_objective.h"
#include "qat/graph/executor.h"
#include "qat/model/detector.h"
#include "qat/train/optimizer.h"
#include "qat/train/quantized_student.h"

namespace qat::train {

class QatStep {
 public:
  /// `teacher`, `student` and `objective` must outlive the step. The student's
  /// executor is used as it is set (training mode, observers, fake quantization).
  /// The teacher runs BN-folded: the same function as `teacher` in eval mode, its
  /// values equal up to float rounding (about 1e-6 relative).
  QatStep(const model::Detector& teacher, QuantizedStudent& student, const distill::DistillObjective& objective);

  /// The teacher's and the student's forward on `images` and the weighted losses
  /// (`targets` [T,6] for ground-truth terms); the total is still attached to the
  /// student's graph, for a caller that checks it before backward.
  distill::DistillObjective::Parts losses(const at::Tensor& images, const at::Tensor& targets);

  /// One update of the student: losses(), backward and the optimizer step.
  /// Returns the weighted total (detached) and each loss's unweighted value.
  distill::DistillObjective::Parts run(const at::Tensor& images, const at::Tensor& targets, Optimizer& optimizer,
                                       double lr);

  /// The values both networks compute besides their outputs (the losses' taps).
  const std::vector<std::string>& taps() const { return taps_; }

 private:
  const model::Detector& teacher_;
  /// The teacher with BatchNorm folded into its convs (it only runs in eval mode, where
  /// folding is the same function): one elementwise pass less per conv.
  std::unique_ptr<model::Detector> folded_teacher_;
  graph::Executor teacher_exec_;
  QuantizedStudent& student_;
  const distill::DistillObjective& objective_;
  std::vector<std::string> taps_;
  at::Tensor anchor_points_, anchor_strides_;
};

}  // namespace qat::train
