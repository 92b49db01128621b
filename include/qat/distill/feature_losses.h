// Losses on intermediate features (graph taps), shaped [B,C,...] with channels
// on dimension 1. Each averages over its taps.
#pragma once

#include <string>
#include <vector>

#include "qat/distill/distill_loss.h"

namespace qat::distill {

/// mean((s - t)^2) / mean(t^2) per tap: the squared error relative to the
/// teacher feature's energy, so taps of different scales weigh alike.
class FeatureMseLoss : public DistillLoss {
 public:
  explicit FeatureMseLoss(std::vector<std::string> taps);
  at::Tensor compute(const DistillContext& ctx) const override;

 private:
  std::vector<std::string> taps_;
};

/// mean over samples and positions of 1 - cos(s, t), the cosine taken over channels.
class FeatureCosineLoss : public DistillLoss {
 public:
  explicit FeatureCosineLoss(std::vector<std::string> taps);
  at::Tensor compute(const DistillContext& ctx) const override;

 private:
  std::vector<std::string> taps_;
};

std::unique_ptr<DistillLoss> make_feature_mse(const LossSpec& spec);
std::unique_ptr<DistillLoss> make_feature_cosine(const LossSpec& spec);

}  // namespace qat::distill
