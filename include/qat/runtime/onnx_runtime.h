// ONNX Runtime, the independent runtime that re-checks every graph qat exports.
// It runs out of process (Node.js + onnxruntime-node, installed by scripts/setup),
// so qat does not link against it and a crash there cannot take qat down.
#pragma once

#include <ATen/ATen.h>

#include <map>
#include <string>
#include <vector>

namespace qat::runtime {

struct OrtOptions {
  /// ONNX Runtime's graph optimization level: disabled | basic | extended | all.
  std::string optimization = "all";
  /// When set, ONNX Runtime writes the optimized graph here (to inspect fusions).
  std::string optimized_model_path;
};

/// Runs `model_path` on `inputs` (name → tensor) and returns every output by name.
/// Throws qat::Error with ONNX Runtime's message when it refuses the model or input.
std::map<std::string, at::Tensor> run_onnxruntime(const std::string& model_path,
                                                  const std::map<std::string, at::Tensor>& inputs,
                                                  const OrtOptions& options = {});

struct LatencyOptions {
  int runs = 20;    ///< timed runs per model (the median is reported)
  int warmup = 3;   ///< untimed runs per model first
  int threads = 1;  ///< ONNX Runtime intra-op threads (no spinning)
  std::string optimization = "all";
};

struct Latency {
  std::vector<double> wall_ms;  ///< median wall milliseconds per model
  std::vector<double> cpu_ms;   ///< median process CPU milliseconds (all threads) per model
};

/// The median time of one inference of each of `model_paths` on `inputs`, in one ONNX
/// Runtime process, the models interleaved run by run (scripts/ort_run.js).
Latency onnxruntime_latency(const std::vector<std::string>& model_paths,
                                        const std::map<std::string, at::Tensor>& inputs,
                                        const LatencyOptions& options);

/// Removes the scratch directories (<temp>/qat-ort-<pid>-*) of runs whose pid is gone;
/// returns them. The node child runs in its own process group and is stopped
/// (SIGTERM) when qat is interrupted (core/interrupt.h).
std::vector<std::string> remove_stale_scratch_dirs();

/// The ONNX Runtime version used (e.g. "1.23.2"); throws when it is not installed.
std::string onnxruntime_version();

}  // namespace qat::runtime
