// Fetching student/teacher values for the losses (not public API).
#pragma once

#include <ATen/ATen.h>

#include <string>

#include "qat/core/detail/shape_check.h"
#include "qat/distill/distill_loss.h"

namespace qat::distill::detail {

/// A value of both networks: the student's as computed, the teacher's detached.
struct ValuePair {
  at::Tensor student;
  at::Tensor teacher;
};

/// values[name], or Error "distillation tap 'name' is not among the computed values".
inline const at::Tensor& find_value(const graph::ValueMap& values, const std::string& name) {
  auto it = values.find(name);
  if (it == values.end() || !it->second.defined()) {
    throw Error("distillation tap '" + name + "' is not among the computed values");
  }
  return it->second;
}

/// Both networks' `name`, checked to have the same shape (ShapeError naming `loss`).
inline ValuePair value_pair(const DistillContext& ctx, const std::string& name, const std::string& loss) {
  ValuePair p{find_value(ctx.student, name), find_value(ctx.teacher, name).detach()};
  if (!p.student.sizes().equals(p.teacher.sizes())) {
    throw ShapeError(loss + ": '" + name + "' of the student is " + qat::detail::shape_text(p.student) +
                     " but of the teacher " + qat::detail::shape_text(p.teacher));
  }
  return p;
}

/// value_pair for "logits", checked to be [B,A,C].
inline ValuePair logits_pair(const DistillContext& ctx, const std::string& loss) {
  ValuePair p = value_pair(ctx, "logits", loss);
  qat::detail::check_shape(p.student, {-1, -1, -1}, "[B,A,C]", loss, "logits");
  return p;
}

}  // namespace qat::distill::detail
