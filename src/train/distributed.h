// What a data-parallel run adds to the training loops (docs/distributed.md): every
// function is a no-op without a group, so one process runs exactly as before.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "qat/graph/graph.h"
#include "qat/quant/quantizer_set.h"
#include "qat/train/detection_set.h"

namespace qat::dist {
class Group;
class GradientSync;
}  // namespace qat::dist

namespace qat::train {

/// The gradient averaging of `params` over the ranks of `group` (c10d's Reducer: bucketed
/// all-reduce overlapping backward); nullptr without a group.
std::unique_ptr<dist::GradientSync> gradient_sync(dist::Group* group,
                                                  const std::vector<std::pair<std::string, at::Tensor>>& params);
/// `loss.backward()`; with a `sync` the gradients are then averaged over the ranks (an
/// undefined gradient counts as zeros).
void backward(dist::GradientSync* sync, const at::Tensor& loss);
/// Averages the floating non-trainable initializers (BatchNormalization statistics),
/// so that every rank evaluates and checkpoints the same model.
void average_buffers(dist::Group* group, const graph::Graph& graph);
/// Replaces each value by its mean over the ranks (epoch losses for the log and report).
void average_values(dist::Group* group, const std::vector<double*>& values);
/// The sum of `value` over the ranks.
int64_t sum_over_ranks(dist::Group* group, int64_t value);

/// The detections of every rank's shard in image order: `shard.images[k]` are those of
/// dataset image `indices[k]`, and the ranks' shards together hold images 0..N-1 once
/// each (an eval loader's shards: positions r, r + W, ...). Each rank sends its boxes,
/// scores, labels and per-image counts (all-gather: the bytes as computed), so every
/// rank returns the set one process collects, tensor for tensor; with Truth::collect
/// the ground truth (`shard.truth`) too. Without a group: `shard`.
DetectionSet gather_detections(dist::Group* group, DetectionSet shard, const std::vector<int64_t>& indices,
                               Truth truth = Truth::skip);

/// True when every observer's statistics can be combined across ranks (then ranks may
/// calibrate on different images).
bool observers_combinable(quant::QuantizerSet& quantizers);
/// True when they can also be combined after every training step: combinable and none
/// needs a range pass (histogram counts are summed, so they combine once).
bool observers_combine_every_step(quant::QuantizerSet& quantizers);
/// True when some observer counts on a common range (Observer::needs_range_pass).
bool observers_need_range_pass(quant::QuantizerSet& quantizers);
/// Combines the statistics of every observer that has seen data and can be combined
/// (min/max MIN/MAX, EMA ranges averaged, histogram counts summed) and marks its qparams
/// for recomputation.
void combine_observers(dist::Group* group, quant::QuantizerSet& quantizers);

/// sha256 over every quantizer's name, scale and zero point, in name order.
std::string scales_digest(const quant::QuantizerSet& quantizers);
/// Logs the scales' digest as "rank R: quantizer scales sha256 D" and throws InternalError
/// unless every rank has the same one.
void check_same_scales(dist::Group* group, const quant::QuantizerSet& quantizers);

}  // namespace qat::train

namespace qat::train {

/// Where a rank other than 0 keeps the files its phases write (RunContext::join):
/// $TMPDIR/qat-rank<R>-<pid>, removed with the object. Empty for rank 0 and one process.
class RankScratch {
 public:
  explicit RankScratch(const dist::Group* group);
  ~RankScratch();
  RankScratch(const RankScratch&) = delete;
  RankScratch& operator=(const RankScratch&) = delete;
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

}  // namespace qat::train
