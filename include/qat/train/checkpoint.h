// Training checkpoints in HDF5: parameters, buffers, optimizer state, epoch,
// RNG state and the recipe hash, written to a temporary file and renamed.
//
// Layout: /params/<name>, /buffers/<name>, /optimizer/<param>/<slot>, /ema/..., /rng/cpu,
// /qparams/<i>/{scale,zero_point}, /output_qparams/<i>/{scale,zero_point};
// root attributes: format "qat-checkpoint", format_version (2), content_sha256, epoch (-1: none), recipe_hash,
// arch, phase, history (JSON of the per-epoch records so far), and when known
// recipe (the recipe's text), class_names, qparam_names, output_qparam_names.
// Quantizer parameters are stored by index with their value names in an
// attribute, since value names may contain '/'.
//
// content_sha256 is a SHA-256 over everything load_checkpoint returns (attributes and
// every tensor's type, shape and bytes, in a fixed order); load_checkpoint refuses a file
// whose content no longer matches it, so a corrupted or edited checkpoint is caught by
// every reader. Version 1 checkpoints carry no digest and are refused with a message
// saying so. Checkpoints of the same content are byte-identical (no HDF5 timestamps).
#pragma once

#include <ATen/ATen.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "qat/graph/graph.h"
#include "qat/quant/quant_spec.h"

namespace qat::train {

struct Checkpoint {
  /// The last completed epoch (0-based); empty for none (a student selected at the
  /// PTQ starting point), which the file stores as epoch -1.
  std::optional<int64_t> epoch;
  std::string phase;  ///< "fp32" or "qat"
  std::string recipe_hash;
  std::string arch;
  std::map<std::string, at::Tensor> params;
  std::map<std::string, at::Tensor> buffers;
  std::map<std::string, at::Tensor> optimizer;
  std::map<std::string, at::Tensor> ema;  ///< WeightEma::state() when the phase averages weights
  at::Tensor rng_state;      ///< the default CPU generator's state
  std::string history_json;  ///< per-epoch records, so a resumed run reports the whole curve
  /// What the weights belong to, so the checkpoint can be rebuilt on its own
  /// (empty in checkpoints written before qat recorded them).
  std::string recipe_yaml;               ///< Recipe::to_yaml_text() of the run
  std::vector<std::string> class_names;  ///< the detector's classes
  /// phase "qat": the student's quantizers (QuantizerSet::qparams()) and, for the
  /// ort export profile, the Conv-output qparams (QdqExportOptions::output_qparams).
  std::map<std::string, quant::QParams> qparams;
  std::map<std::string, quant::QParams> output_qparams;
};

/// Writes atomically. Throws IoError.
void save_checkpoint(const std::string& path, const Checkpoint& checkpoint);
/// Reads and checks the format and content digest. Throws IoError naming the file and dataset.
Checkpoint load_checkpoint(const std::string& path);

/// The graph's parameters and buffers, as a checkpoint's params/buffers.
void capture_weights(const graph::Graph& graph, Checkpoint& checkpoint);
/// Copies a checkpoint's params/buffers into `graph`; every graph parameter and
/// buffer must be present with the same shape. Throws IoError naming `path` and
/// the first mismatch.
void restore_weights(const Checkpoint& checkpoint, graph::Graph& graph, const std::string& path);

}  // namespace qat::train
