// `qat provenance CHECKPOINT MODEL.onnx`: does a deployed ONNX model come from a
// checkpoint? Rebuilds the checkpoint's model (FP32 detector or QAT student),
// exports it in memory the way the pipeline did, and compares (a) the initializers
// byte for byte and (b) the outputs of the checkpoint in libtorch with those of
// the deployed model in ONNX Runtime on sample images. docs/export.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "qat/export/initializer_diff.h"
#include "qat/recipe/recipe.h"

namespace qat::train {

struct ProvenanceOptions {
  std::string checkpoint;  ///< fp32/best.h5 or qat/best.h5 of a run
  std::string model;       ///< the deployed ONNX model
  /// Sample images come from its val split; without it, seeded random images. Also
  /// describes the model of a checkpoint that does not record its own recipe.
  std::optional<Recipe> recipe;
  int64_t samples = 8;
  uint64_t seed = 0;  ///< of the random images
  /// ONNX Runtime's graph optimization level for the deployed model. "disabled" runs
  /// Q/DQ as float arithmetic, "all" fuses it into integer kernels (QLinearConv) that
  /// requantize with their own rounding: comparing the two tells where a difference is from.
  std::string runtime_optimization = "all";
};

struct OutputDiff {
  std::string name;         ///< the detector output (boxes, scores)
  double max_abs_diff = 0;  ///< between libtorch (checkpoint) and ONNX Runtime (deployed model)
  double tolerance = 0;
  int64_t elements = 0;        ///< output elements compared
  int64_t beyond = 0;          ///< elements whose difference exceeds the tolerance
  int64_t allowed_beyond = 0;  ///< 0 for FP32; kQdqBeyondFraction of the elements for Q/DQ
  bool within() const { return beyond <= allowed_beyond; }
};

struct ProvenanceReport {
  std::string checkpoint, model;
  std::string phase;                  ///< the checkpoint's: "fp32" or "qat"
  std::string profile;                ///< qat: the Q/DQ export profile used to re-export
  std::string checkpoint_recipe_hash;
  std::string model_recipe_hash;      ///< the model's qat.recipe_hash metadata ("" when absent)
  std::string inputs;                 ///< what the sample images were
  std::string runtime_optimization;   ///< ONNX Runtime's graph optimization level used
  exporter::InitializerDiff initializers;
  std::vector<OutputDiff> outputs;

  /// Every initializer identical and every output within its tolerance.
  bool matches() const;
};

/// Output tolerance of an FP32 model: 1e-4 times the output's largest magnitude (at least 1).
constexpr double kFp32RelativeTolerance = 1e-4;
/// Q/DQ models: the share of output elements that may differ by more than one output
/// step. A value within an ulp of a rounding boundary lands one activation step apart
/// in the two runtimes, and in a trained detector such flips move some outputs by many
/// steps (a trained default candidate, 32 val images: 0.8% of boxes up to 12 px, 0.3% of scores up
/// to 0.08; its behaviour in ONNX Runtime still matches: recall 0.9924 vs 0.9919).
/// Summation order alone does this: libtorch with its native instead of its oneDNN
/// convolution differs from itself as much (docs/export.md).
/// The initializers, compared byte for byte, are what proves provenance.
constexpr double kQdqBeyondFraction = 0.02;

/// The check. Q/DQ outputs (phase "qat") are allowed one step of a signed 8-bit grid
/// over the libtorch output's own range (quant::qparams_from_range), the bound
/// docs/export.md states for every export. Throws IoError naming the file for a
/// missing or malformed checkpoint or model, or a checkpoint without a recipe when
/// options.recipe is empty.
ProvenanceReport check_provenance(const ProvenanceOptions& options);

/// The report as text, one fact per line (stable: scripts may grep it).
std::string format_provenance(const ProvenanceReport& report);

}  // namespace qat::train
