// Gradient averaging that overlaps backward. c10d's Reducer (the engine of PyTorch's
// DistributedDataParallel) groups the parameters' gradients into buckets and starts a
// bucket's all-reduce as soon as backward has produced all of its gradients, so the
// last layers' gradients travel while the first layers still compute theirs.
#pragma once

#include <ATen/ATen.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "qat/dist/process_group.h"

namespace qat::dist {

class GradientSync {
 public:
  /// `params`: the trained tensors, the same names, order and shapes on every rank (tensors
  /// without requires_grad are left out). They must stay the same tensor objects (loading
  /// weights copies into them).
  GradientSync(Group& group, const std::vector<std::pair<std::string, at::Tensor>>& params);
  ~GradientSync();
  GradientSync(const GradientSync&) = delete;
  GradientSync& operator=(const GradientSync&) = delete;

  /// Runs `loss.backward()`. On return every parameter's gradient is the mean over the
  /// ranks (zeros for one the loss reached on no rank). Throws DistributedError naming
  /// the peer when one is lost.
  void backward(const at::Tensor& loss);

  /// As DistributedDataParallel: a small first bucket, so that communication starts
  /// early in backward, then buckets of up to 25 MiB.
  static constexpr size_t kFirstBucketBytes = size_t(1) << 20;
  static constexpr size_t kBucketBytes = size_t(25) << 20;

 private:
  struct Impl;
  Group& group_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace qat::dist
