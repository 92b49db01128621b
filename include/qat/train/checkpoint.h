// Training checkpoints in HDF5: parameters, buffers, optimizer state, epoch,
// RNG state and the recipe hash, written to a temporary file and renamed.
//
// Layout: /params/<name>, /buffers/<name>, /optimizer/<param>/<slot>, /ema/..., /rng/cpu;
// root attributes: format "qat-checkpoint", format_version, epoch, recipe_hash,
// arch, phase, history (JSON of the per-epoch records so far).
#pragma once

#include <ATen/ATen.h>

#include <map>
#include <string>

#include "qat/graph/graph.h"

namespace qat::train {

struct Checkpoint {
  int64_t epoch = -1;  ///< last completed epoch (0-based)
  std::string phase;   ///< "fp32" or "qat"
  std::string recipe_hash;
  std::string arch;
  std::map<std::string, at::Tensor> params;
  std::map<std::string, at::Tensor> buffers;
  std::map<std::string, at::Tensor> optimizer;
  std::map<std::string, at::Tensor> ema;  ///< WeightEma::state() when the phase averages weights
  at::Tensor rng_state;      ///< the default CPU generator's state
  std::string history_json;  ///< per-epoch records, so a resumed run reports the whole curve
};

/// Writes atomically. Throws IoError.
void save_checkpoint(const std::string& path, const Checkpoint& checkpoint);
/// Reads and checks the format. Throws IoError naming the file and dataset.
Checkpoint load_checkpoint(const std::string& path);

/// The graph's parameters and buffers, as a checkpoint's params/buffers.
void capture_weights(const graph::Graph& graph, Checkpoint& checkpoint);
/// Copies a checkpoint's params/buffers into `graph`; every graph parameter and
/// buffer must be present with the same shape. Throws IoError naming `path` and
/// the first mismatch.
void restore_weights(const Checkpoint& checkpoint, graph::Graph& graph, const std::string& path);

}  // namespace qat::train
