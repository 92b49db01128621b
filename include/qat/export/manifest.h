// The threshold manifest: the operating threshold of a candidate, versioned with
// the exact model file it belongs to (by sha256). Deployment reads it beside the
// model and refuses a mismatch (`qat threshold verify`).
#pragma once

#include <map>
#include <optional>
#include <string>

namespace qat::exporter {

struct ThresholdManifest {
  std::string model;          ///< model file name, relative to the manifest
  std::string model_sha256;
  double score_threshold = 0;    ///< the candidate's operating threshold
  double teacher_threshold = 0;  ///< what FP32 was deployed at
  std::map<std::string, double> gate;  ///< behaviour figures at score_threshold (recall, ...)
  std::string recipe_hash;
  std::map<std::string, std::string> versions;  ///< qat, libtorch, onnx, onnxruntime

  /// JSON text; read back by parse().
  std::string to_json() const;
  static ThresholdManifest parse(const std::string& json, const std::string& where);
};

/// Throws qat::Error "<what> must be a number in (0, 1), got X" unless `threshold` is
/// finite and strictly between 0 and 1 (a score threshold of 0 or 1 keeps everything or nothing).
void check_threshold(double threshold, const std::string& what);

/// Writes `manifest` atomically.
void write_manifest(const std::string& path, const ThresholdManifest& manifest);
/// Reads a manifest; IoError naming the file for bad JSON, missing fields, a format
/// version other than 1, or a score_threshold outside (0, 1) (teacher_threshold: [0, 1]).
ThresholdManifest read_manifest(const std::string& path);

/// Checks that `model_path` is the file `manifest_path` describes (sha256), that the
/// manifest's threshold equals the model's own metadata qat.score_threshold (within its
/// 6 decimals) and, if given, that the deployment's threshold equals the manifest's. Throws
/// qat::Error saying what differs. Returns the manifest.
ThresholdManifest verify_manifest(const std::string& model_path, const std::string& manifest_path,
                                  std::optional<double> deployed_threshold = std::nullopt);

}  // namespace qat::exporter
