// `qat sweep RECIPE`: how wide can the quantized region be? Widens the region
// block by block in graph order (stem, stem..block 1, ...) or quantizes one layer
// at a time, measures each region's behaviour against the FP32 teacher at the
// deployed threshold (PTQ, optionally followed by a short QAT), and picks the
// widest region that passes the gate.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "qat/metrics/behaviour.h"
#include "qat/metrics/gate.h"
#include "qat/recipe/recipe.h"

namespace qat::graph { class Graph; }

namespace qat::train {

/// blocks: cumulative, block by block | layers: one quantized op at a time.
enum class SweepMode { blocks, layers };

/// The modes' names as `qat sweep --mode` and report.json spell them, in enum order.
const std::vector<std::string>& sweep_mode_names();
const std::string& to_string(SweepMode mode);
/// The mode named `name`, or nothing for a name that is not one.
std::optional<SweepMode> sweep_mode_from_name(const std::string& name);

struct SweepOptions {
  SweepMode mode = SweepMode::blocks;
  std::string weights;  ///< FP32 checkpoint; empty: the run's fp32/best.h5
  int qat_epochs = 0;   ///< > 0: fine-tune each region this many QAT epochs before measuring
};

struct SweepRow {
  std::string region;                ///< e.g. "backbone.0 .. neck.3" or one layer's name
  std::vector<std::string> include;  ///< the region's include patterns (the recipe's excludes apply too)
  std::vector<std::string> exclude;
  int64_t quantized_ops = 0;
  metrics::BehaviourStats stats;     ///< at the deployed threshold
  metrics::GateVerdict verdict;
};

struct SweepResult {
  SweepMode mode = SweepMode::blocks;
  std::vector<SweepRow> rows;
  std::optional<size_t> chosen;  ///< index into rows of the widest passing region, empty if none passes
  std::string report_path;  ///< <run>/sweep/report.json
};

/// The quantizable blocks of the recipe's region in graph order: a node's first
/// two name segments ("backbone.3", "neck.5", "head.1"). `graph` is BN-folded.
std::vector<std::string> region_blocks(const graph::Graph& graph, const QuantSection& quant);

SweepResult run_sweep(const Recipe& recipe, const SweepOptions& options);

/// The rows as an aligned text table, the chosen one marked with '*'.
std::string format_sweep_table(const SweepResult& result);

}  // namespace qat::train
