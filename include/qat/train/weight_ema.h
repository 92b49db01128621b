// An exponential moving average of a graph's weights (parameters and BatchNorm
// statistics), the "model EMA" of YOLO trainers. Short schedules end on noisy
// weights; the average over the last few hundred steps evaluates steadier and
// usually higher, so the FP32 phase evaluates and keeps the average.
//
//   decay(u) = decay * (1 - exp(-u / tau))   after u updates (small early on,
//   so the average is not anchored to the random initialization)
//   avg = decay(u) * avg + (1 - decay(u)) * live
#pragma once

#include <ATen/ATen.h>

#include <map>
#include <string>

#include "qat/graph/graph.h"

namespace qat::train {

class WeightEma {
 public:
  /// Averages into `average`, a graph of the same structure as the trained one
  /// (a clone): its parameters and buffers hold the average. `decay` in [0, 1),
  /// `tau` > 0 in updates.
  WeightEma(graph::Graph& average, double decay, double tau);

  /// One step toward `live`'s current weights; call after every optimizer step.
  void update(const graph::Graph& live);
  /// The decay the next update() uses.
  double next_decay() const;
  int64_t updates() const { return updates_; }

  /// The averaged tensors ("params/<name>", "buffers/<name>") and the update count
  /// ("updates"), for checkpoints; load_state() restores them exactly.
  std::map<std::string, at::Tensor> state() const;
  /// Throws qat::Error naming a missing or mis-shaped entry.
  void load_state(const std::map<std::string, at::Tensor>& state);

 private:
  graph::Graph& average_;
  double decay_;
  double tau_;
  int64_t updates_ = 0;
};

}  // namespace qat::train
