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

#include <ATen/ATen.h>

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

/// How far two legitimate computations of the same model on the same inputs disagree
/// on one output: the model's own numerical spread.
struct SelfSpread {
  std::string between;      ///< e.g. "onnxruntime disabled vs all"
  double max_abs_diff = 0;
  int64_t beyond = 0;       ///< elements whose difference exceeds the base tolerance
};

struct OutputDiff {
  std::string name;         ///< the detector output (boxes, scores)
  double max_abs_diff = 0;  ///< between libtorch (checkpoint) and ONNX Runtime (deployed model)
  /// FP32: kFp32RelativeTolerance × max(1, max |output|); Q/DQ: one step of a signed 8-bit
  /// grid over the libtorch output's range.
  double base_tolerance = 0;
  /// The model's own spreads (ONNX Runtime disabled vs all; libtorch oneDNN vs native convolution).
  std::vector<SelfSpread> spreads;
  double tolerance = 0;        ///< max(base_tolerance, every spread's max_abs_diff)
  int64_t elements = 0;        ///< output elements compared
  int64_t beyond = 0;          ///< elements whose difference exceeds the tolerance
  /// max(floor, kSpreadFactor × the largest spread's `beyond`); the floor is 0 for FP32,
  /// kQdqBeyondFraction of the elements for Q/DQ.
  int64_t allowed_beyond = 0;
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
/// step whatever the model's own spread (the floor of allowed_beyond). A value within an ulp of a rounding boundary lands one activation step apart
/// in the two runtimes, and in a trained detector such flips move some outputs by many
/// steps (a trained default candidate, 32 val images: 0.8% of boxes up to 12 px, 0.3% of scores up
/// to 0.08; its behaviour in ONNX Runtime still matches: recall 0.9924 vs 0.9919).
/// Summation order alone does this: libtorch with its native instead of its oneDNN
/// convolution differs from itself as much (docs/export.md).
/// The initializers, compared byte for byte, are what proves provenance.
constexpr double kQdqBeyondFraction = 0.02;

/// libtorch and ONNX Runtime may disagree this many times as often as the model disagrees with itself.
constexpr int64_t kSpreadFactor = 2;

/// The spread between two computations `a` and `b` of one output: max |a - b| and the
/// elements beyond `base_tolerance`. Throws qat::Error when the shapes differ.
SelfSpread measure_spread(const std::string& between, const at::Tensor& a, const at::Tensor& b,
                          double base_tolerance);

/// Judges one output: the difference between `libtorch` and `runtime` is within when at
/// most allowed_beyond elements exceed the tolerance (OutputDiff, docs/export.md).
OutputDiff judge_output(const std::string& name, const at::Tensor& libtorch, const at::Tensor& runtime,
                        double base_tolerance, int64_t floor_beyond, std::vector<SelfSpread> spreads);

/// The check. Each output is judged (judge_output) against its base tolerance and the
/// model's own spread on the same images: the deployed model in ONNX Runtime at
/// optimization levels disabled and all, and the checkpoint in libtorch with its oneDNN
/// and its native convolution. Throws IoError naming the file for a missing or
/// malformed checkpoint or model, or a checkpoint without a recipe when
/// options.recipe is empty.
ProvenanceReport check_provenance(const ProvenanceOptions& options);

/// The report as text, one fact per line (stable: scripts may grep it).
std::string format_provenance(const ProvenanceReport& report);

}  // namespace qat::train
