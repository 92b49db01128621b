#include "qat/train/qat_step.h"

#include <c10/core/InferenceMode.h>

#include "qat/graph/fold_batch_norm.h"

namespace qat::train {
namespace {

// The losses read the contract's names (boxes, scores, logits); an imported
// model's head may call them otherwise.
void alias_contract_values(graph::ValueMap& values, const model::DetectorInfo& info) {
  const std::pair<const char*, std::string> names[] = {{"boxes", info.boxes}, {"scores", info.scores}, {"logits", info.logits}};
  for (const auto& [contract, actual] : names) {
    if (!actual.empty() && actual != contract && values.count(actual)) values[contract] = values.at(actual);
  }
}

}  // namespace

QatStep::QatStep(const model::Detector& teacher, QuantizedStudent& student, const distill::DistillObjective& objective)
    : teacher_(teacher),
      folded_teacher_(std::make_unique<model::Detector>(model::clone_detector(teacher))),
      teacher_exec_((graph::fold_batch_norm(folded_teacher_->graph), folded_teacher_->graph)),
      student_(student),
      objective_(objective) {
  teacher_exec_.set_training(false);
  taps_ = objective.taps();
  if (!teacher.info.logits.empty()) taps_.push_back(teacher.info.logits);
  // An imported model may have no anchors; the losses that need them say so.
  if (teacher.has_anchors()) {
    anchor_points_ = teacher.anchor_points();
    anchor_strides_ = teacher.anchor_strides();
  }
}

distill::DistillObjective::Parts QatStep::losses(const at::Tensor& images, const at::Tensor& targets) {
  const auto& info = teacher_.info;
  graph::ValueMap teacher_out;
  {
    // The teacher is a constant: no autograd graph, and inference tensors skip the
    // version counters and view tracking (the losses only read them).
    c10::InferenceMode inference;
    at::NoGradGuard no_grad;
    teacher_out = teacher_exec_.run({{info.input, images}}, taps_);
  }
  graph::ValueMap student_out = student_.executor().run({{info.input, images}}, taps_);
  alias_contract_values(teacher_out, info);
  alias_contract_values(student_out, info);
  const distill::DistillContext ctx{teacher_out, student_out, anchor_points_, anchor_strides_, targets,
                                    static_cast<double>(images.size(2) * images.size(3))};
  return objective_.compute(ctx);
}

distill::DistillObjective::Parts QatStep::run(const at::Tensor& images, const at::Tensor& targets,
                                              Optimizer& optimizer, double lr) {
  auto parts = losses(images, targets);
  optimizer.zero_grad();
  parts.total.backward();
  optimizer.step(lr);
  parts.total = parts.total.detach();
  return parts;
}

}  // namespace qat::train
